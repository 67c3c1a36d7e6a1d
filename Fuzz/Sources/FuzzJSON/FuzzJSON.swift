// The JSON parser and the Keras config reader: `JSON(parsing:)`, then
// `KerasConfig.architecture(fromJSON:)`. Accepted JSON must serialize and parse back equal;
// an accepted config must serialize to a config that reads back, and a small model built
// from it must predict.
import FuzzSupport
import NNModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let json = try? JSON(parsing: bytes) else {
        // Invalid JSON must be refused by the config reader with a typed error as well.
        do { _ = try KerasConfig.architecture(fromJSON: bytes) } catch {}
        return 0
    }
    let text = json.serialized()
    guard let again = try? JSON(parsing: text) else { FuzzSupport.fuzzFailure("serialized JSON does not parse: \(text)") }
    guard again == json else { FuzzSupport.fuzzFailure("JSON changed in a round trip: \(text)") }

    let architecture: ModelArchitecture
    do { architecture = try KerasConfig.architecture(fromJSON: bytes) } catch { return 0 }
    let written = KerasConfig.json(for: architecture)
    do { _ = try KerasConfig.architecture(from: written) } catch {
        FuzzSupport.fuzzFailure("the config written for an accepted architecture does not read back: \(error)\n\(written.serialized())")
    }
    guard let specs = try? architecture.weightSpecs() else { FuzzSupport.fuzzFailure("accepted architecture has no weight specs") }
    var parameters = 0
    for spec in specs {
        guard let n = Tensor.checkedCount(of: spec.shape) else { return 0 }
        parameters += n
        if parameters > FuzzSupport.maximumPredictElements { return 0 }
    }
    do {
        FuzzSupport.tinyPredict(try Sequential(architecture, seed: 1))
    } catch {
        FuzzSupport.expectTyped(error, "initializing an accepted architecture")
    }
    return 0
}
