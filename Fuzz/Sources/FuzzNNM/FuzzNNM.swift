// The `.nnm` reader, whole: preamble, header (cap, CRC-32, JSON, architecture), tensor placement,
// checksums, weights against the architecture, then a tiny predict. Each input is also tried with
// its header CRC-32 fixed up, so that mutations reach the checks behind the checksum.
import FuzzSupport
import NNModel

func load(_ bytes: [UInt8]) {
    let file: NNMFile
    do { file = try NNMFile(contents: bytes, path: "fuzz.nnm") } catch { return }
    for entry in file.header.tensors {
        _ = try? file.verify(entry)
        _ = file.tensor(entry).count
    }
    do {
        FuzzSupport.tinyPredict(try file.model(verify: true))
    } catch {
        guard case .checksumMismatch = error else { return }
        // A model whose data bytes are damaged but whose checksums are not checked must still be usable.
        if let model = try? file.model(verify: false) { FuzzSupport.tinyPredict(model) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    load(bytes)
    if let fixed = FuzzSupport.fixingNNMHeaderChecksum(bytes) { load(fixed) }
    return 0
}
