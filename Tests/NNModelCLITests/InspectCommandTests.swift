import Foundation
import NNModel
import Testing

/// `nnmodel inspect`: the summary table and the file's provenance.
@Suite struct InspectCommandTests {
    static var keras: String { CLIFixtures.repository + "/Fixtures/keras/" }

    /// The type column holds the class alone, as Keras's `summary()` does; the activation is in
    /// the details column.
    @Test func theTypeColumnIsTheClassAndTheActivationIsADetail() throws {
        let r = CLIFixtures.run(["inspect", CLIFixtures.trainedModel])
        #expect(r.status == 0, "\(r.err)")
        let rows = r.out.split(separator: "\n").filter { $0.hasPrefix("│ dense") }
        #expect(rows.count == 2, "\(r.out)")
        #expect(rows.first?.hasPrefix("│ dense (Dense) ") == true && rows.first?.contains("activation=relu") == true, "\(r.out)")
        #expect(rows.last?.hasPrefix("│ dense_1 (Dense) ") == true && rows.last?.contains("activation=softmax") == true, "\(r.out)")
        #expect(!r.out.contains("Dense, "), "\(r.out)")
        #expect(r.out.contains("┃ Details"), "\(r.out)")
    }

    /// A Keras file nnmodel wrote keeps the `keras_version` Keras's loader expects, and is
    /// reported as written by nnmodel, not by that Keras.
    @Test(arguments: ["h5", "keras"])
    func aKerasFileNNModelWroteNamesNNModel(_ ext: String) throws {
        let path = CLIFixtures.temporaryFolder() + "/written.\(ext)"
        #expect(CLIFixtures.run(["convert", CLIFixtures.trainedModel, path]).status == 0)
        let r = CLIFixtures.run(["inspect", path])
        #expect(r.status == 0, "\(r.err)")
        let writtenBy = r.out.split(separator: "\n").first { $0.hasPrefix("Written by:") }.map(String.init) ?? ""
        #expect(writtenBy.contains("nnmodel \(NNModelVersion.string)"), "\(r.out)")
        #expect(writtenBy.contains("keras_version \(ext == "h5" ? "2.15.0" : "3.15.1")") && writtenBy.contains("recorded for Keras's loader"),
                "\(writtenBy)")
        #expect(!r.out.contains("Keras version:"), "\(r.out)")
        let json = try CLIFixtures.json(CLIFixtures.run(["inspect", path, "--json"]).out)
        #expect(json["details"]?["producer"]?.stringValue == "nnmodel \(NNModelVersion.string)")
        #expect(json["details"]?["written_by_nnmodel"]?.boolValue == true)
        #expect(json["details"]?["keras_version"]?.stringValue == (ext == "h5" ? "2.15.0" : "3.15.1"))
    }

    /// A file Keras wrote is reported as Keras's.
    @Test func aKerasFileKerasWroteNamesKeras() throws {
        let r = CLIFixtures.run(["inspect", Self.keras + "fmnist8_k3.keras"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("Keras version: 3.15.1") && !r.out.contains("Written by:"), "\(r.out)")
        let json = try CLIFixtures.json(CLIFixtures.run(["inspect", Self.keras + "fmnist8_k3.keras", "--json"]).out)
        #expect(json["details"]?["producer"]?.stringValue == "keras 3.15.1")
        #expect(json["details"]?["written_by_nnmodel"]?.boolValue == false)
    }
}
