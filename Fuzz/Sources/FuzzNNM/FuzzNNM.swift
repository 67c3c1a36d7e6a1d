// The `.nnm` reader, whole: preamble, header (cap, CRC-32, JSON, architecture), tensor placement,
// checksums, weights against the architecture, then a tiny predict. Each input is also tried with
// its header CRC-32 fixed up, so that mutations reach the checks behind the checksum.
import FuzzSupport
import NNModel

func load(_ bytes: [UInt8]) {
    // Every tensor checked and decoded (statistics), then the model itself.
    do { _ = try ModelFile.inspect(contents: bytes, name: "fuzz.nnm", verify: true, statistics: true) } catch {
        FuzzSupport.expectTyped(error, "inspect")
    }
    do {
        FuzzSupport.tinyPredict(try ModelFile.open(contents: bytes, name: "fuzz.nnm", verify: true).model)
    } catch {
        FuzzSupport.expectTyped(error, "open")
        guard case ModelFileError.checksumMismatch = error else { return }
        if let model = try? ModelFile.open(contents: bytes, name: "fuzz.nnm", verify: false).model { FuzzSupport.tinyPredict(model) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    load(bytes)
    if let fixed = FuzzSupport.fixingNNMHeaderChecksum(bytes) { load(fixed) }
    return 0
}
