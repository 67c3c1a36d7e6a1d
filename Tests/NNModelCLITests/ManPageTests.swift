import ArgumentParser
import Foundation
@testable import NNModelCLI
import NNTestSupport
import Testing

/// The committed man page (`docs/nnmodel.1`, written by `scripts/man.sh` from the command
/// definitions) must not go stale: every command and every option the binary has appears in it.
@Suite struct ManPageTests {
    /// Every command below the root, with the path of names that reaches it.
    static func commands(_ command: ParsableCommand.Type = NNModelCommand.self, path: [String] = [])
        -> [(path: [String], type: ParsableCommand.Type)]
    {
        command.configuration.subcommands.flatMap { sub -> [(path: [String], type: ParsableCommand.Type)] in
            let p = path + [sub.configuration.commandName ?? "\(sub)"]
            return [(p, sub)] + commands(sub, path: p)
        }
    }

    /// The long options a command's help lists in its OPTIONS section (examples and prose aside).
    static func options(of command: ParsableCommand.Type) -> Set<String> {
        let help = NNModelCommand.helpMessage(for: command, columns: 10_000)
        guard let start = help.range(of: "\nOPTIONS:\n") else { return [] }
        var names: Set<String> = []
        for line in help[start.upperBound...].split(separator: "\n") {
            // An option's line starts with it (after indentation): "  -q, --quiet", "  --epochs <n>".
            for word in line.split(separator: " ").prefix(3) where word.hasPrefix("--") && word.count > 2 {
                names.insert(String(word.prefix { $0 != "=" && $0 != "," && $0 != "<" }))
            }
        }
        return names
    }

    @Test func everyCommandAndOptionIsInTheManPage() throws {
        let path = Repository.root + "/docs/nnmodel.1"
        // mdoc writes a long option as `Fl -name` (Fl adds the first dash) and `Fl h , -help`.
        let page = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\\-", with: "-")
            .replacingOccurrences(of: "Fl -", with: "--").replacingOccurrences(of: " , -", with: " , --")
        let all = Self.commands()
        #expect(all.count >= 7, "\(all.map(\.path))")
        var missing: [String] = []
        for (commandPath, type) in all {
            let name = commandPath.joined(separator: " ")
            if !page.contains(commandPath.last ?? "") { missing.append("command '\(name)'") }
            let options = Self.options(of: type)
            #expect(!options.isEmpty || !type.configuration.subcommands.isEmpty, "\(name) lists no options")
            for option in options.sorted() where !page.contains(option) {
                missing.append("\(name) \(option)")
            }
        }
        #expect(missing.isEmpty, "docs/nnmodel.1 is stale (run scripts/man.sh): it misses \(missing.joined(separator: ", "))")
        #expect(page.hasPrefix(".\\\" ") || page.contains(".Dd nnmodel"), "not the page scripts/man.sh writes")
    }

    /// Help examples are whole commands on one line: at 80 columns nothing wraps into the middle
    /// of one (a copied line would be half a command).
    @Test func helpExamplesFitOnALine() {
        for (path, type) in Self.commands() {
            let help = NNModelCommand.helpMessage(for: type, columns: 80)
            let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
            guard let start = lines.firstIndex(where: { $0.hasPrefix("Examples:") }) else { continue }
            for line in lines[(start + 1)...] {
                if line.isEmpty { break }
                #expect(line.hasPrefix("  nnmodel "), "\(path.joined(separator: " ")): a wrapped example line: '\(line)'")
            }
        }
    }
}
