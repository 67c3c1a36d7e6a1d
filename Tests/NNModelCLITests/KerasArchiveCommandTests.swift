import Foundation
import NNModel
import Testing

/// The commands that write `.keras` archives: `convert` and `train --output`, and `train
/// --resume` from one.
@Suite struct KerasArchiveCommandTests {
    @Test func convertToKerasIsLosslessForDiff() throws {
        let folder = CLIFixtures.temporaryFolder()
        let target = folder + "/m.keras"
        let r = CLIFixtures.run(["convert", CLIFixtures.trainedModel, target])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("(keras, float32)"), "\(r.out)")
        #expect(r.err.isEmpty, "no compatibility warnings: \(r.err)")
        let diff = CLIFixtures.run(["diff", CLIFixtures.trainedModel, target, "--json"])
        #expect(diff.status == 0, "\(diff.out)\(diff.err)")
        let json = try CLIFixtures.json(diff.out)
        #expect(json["equal"]?.boolValue == true)
        #expect(json["metadata_differences"]?.arrayValue?.isEmpty == true, "\(diff.out)")
        let inspect = CLIFixtures.run(["inspect", target])
        #expect(inspect.out.contains("Keras archive (.keras)") && inspect.out.contains("Written by:    nnmodel"), "\(inspect.out)")
    }

    @Test func trainWritesAndResumesFromKeras() throws {
        let folder = CLIFixtures.temporaryFolder()
        let first = folder + "/first.keras", second = folder + "/second.keras"
        let r = CLIFixtures.run(["train", "--data", CLIFixtures.smallDataset, "--epochs", "1", "--hidden", "16", "--quiet",
                                 "--output", first])
        #expect(r.status == 0, "\(r.err)")
        let trained = try ModelFile.open(first)
        #expect(trained.file.writtenByNNModel && trained.model.optimizerState?.iterations ?? 0 > 0)
        #expect(trained.model.metadata.history?.epochs.count == 1)
        let resumed = CLIFixtures.run(["train", "--resume", first, "--data", CLIFixtures.smallDataset, "--epochs", "1", "--quiet",
                                       "--output", second])
        #expect(resumed.status == 0, "\(resumed.err)")
        let model = try ModelFile.load(second)
        #expect(model.metadata.history?.epochs.map(\.epoch) == [1, 2])
        #expect(model.optimizerState?.iterations == 2 * (trained.model.optimizerState?.iterations ?? 0))
    }
}
