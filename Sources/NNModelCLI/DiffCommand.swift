import ArgumentParser
import NNModel

/// `nnmodel diff`: compare two models in any supported formats.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two models: architecture, and per tensor the largest absolute and relative difference.",
        discussion: """
        Elements are equal when |a - b| <= tolerance + relative-tolerance * |b| (NumPy's allclose); \
        the default demands exact equality. Exit status 0 when the models are equal, 1 when they differ. \
        Metadata and optimizer-state differences are reported but do not count. \
        A float16 copy: --relative-tolerance 1e-3 (float16 keeps 11 significant bits) with \
        --tolerance 1e-7 (values below float16's normal range round to steps of 6e-8); \
        bfloat16: --relative-tolerance 1e-2.

        Examples:
          nnmodel diff model.nnm model.h5
          nnmodel diff model.keras converted.nnm --tolerance 1e-6
          nnmodel diff model.nnm f16.nnm --relative-tolerance 1e-3 --tolerance 1e-7
        """
    )

    @Argument(help: ArgumentHelp("The first model.", valueName: "a")) var first: String
    @Argument(help: ArgumentHelp("The second model.", valueName: "b")) var second: String
    @Option(help: "Absolute tolerance per element.") var tolerance: Double = 0
    @Option(name: .customLong("relative-tolerance"), help: "Relative tolerance per element (times |b|).") var relativeTolerance: Double = 0
    @Flag(name: .customLong("ignore-names"), help: "Do not count different layer or model names.") var ignoreNames = false
    @OptionGroup var architectureOptions: ArchitectureOptions
    @OptionGroup var verify: VerifyOption
    @Flag(help: "Print the comparison as JSON.") var json = false

    func validate() throws {
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a non-negative number") }
        guard relativeTolerance >= 0, relativeTolerance.isFinite else { throw ValidationError("--relative-tolerance must be a non-negative number") }
    }

    func run() throws {
        try runReportingErrors {
            let architecture = try architectureOptions.load()
            let a = try ModelFile.load(first, verify: !verify.noVerify, architecture: architecture)
            let b = try ModelFile.load(second, verify: !verify.noVerify, architecture: architecture)
            let c = ModelComparison(a, b, absoluteTolerance: tolerance, relativeTolerance: relativeTolerance, ignoreNames: ignoreNames)
            if json {
                JSONContract.print([
                    ("equal", .bool(c.equal)), ("a", .string(first)), ("b", .string(second)),
                    ("tolerance", .number(tolerance)), ("relative_tolerance", .number(relativeTolerance)),
                    ("architecture_differences", .array(c.architectureDifferences.map { .string($0) })),
                    ("tensors", .array(c.tensors.map { t in
                        .object([("name", .string(t.name)), ("other_name", .string(t.otherName)), ("shape", .ints(t.shape)),
                                 ("other_shape", .ints(t.otherShape))]
                                + JSONNumber.members("max_abs_diff", t.maximumAbsolute)
                                + JSONNumber.members("max_rel_diff", t.maximumRelative)
                                + [("mismatches", .int(t.mismatches)), ("equal", .bool(t.equal))])
                    })),
                    ("metadata_differences", .array(c.metadataDifferences.map { .string($0) })),
                ])
            } else {
                Console.out(text(c))
            }
            if !c.equal { throw ExitCode(ExitStatus.negative) }
        }
    }

    func text(_ c: ModelComparison) -> String {
        var out: [String] = []
        if c.architectureDifferences.isEmpty {
            out.append("Architecture: same")
        } else {
            out.append("Architecture: \(c.architectureDifferences.count) difference\(c.architectureDifferences.count == 1 ? "" : "s")")
            out += c.architectureDifferences.map { "  - \(shown($0))" }
        }
        var table = BoxTable(headers: ["tensor", "shape", "max |a-b|", "max rel", "mismatches", ""], rightAligned: [2, 3, 4])
        for t in c.tensors {
            let shape = t.shape == t.otherShape ? "\(t.shape)" : "\(t.shape) vs \(t.otherShape)"
            table.rows.append([t.name == t.otherName ? t.name : "\(t.name) / \(t.otherName)", shape,
                               Formatting.compact(t.maximumAbsolute), Formatting.compact(t.maximumRelative),
                               String(t.mismatches), t.equal ? "equal" : "DIFFERENT"])
        }
        out.append(table.render())
        if !c.metadataDifferences.isEmpty { out.append("Metadata (not compared): " + c.metadataDifferences.map(shown).joined(separator: "; ")) }
        out.append(c.equal ? "The models are equal" + (tolerance > 0 || relativeTolerance > 0 ? " within the tolerance." : ".")
                           : "The models differ.")
        return out.joined(separator: "\n")
    }
}
