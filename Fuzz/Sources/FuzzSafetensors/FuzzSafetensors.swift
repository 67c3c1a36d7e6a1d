// The safetensors reader, whole: header length and cap, JSON header, entry and layout validation,
// nnmodel's metadata, naming detection against an architecture (the file's own, and a given one),
// tensor decoding and transposition, then a tiny predict; also inspection with statistics.
import FuzzSupport
import NNModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    for architecture in [nil, FuzzSupport.tinyArchitecture] {
        let options = ReadOptions(architecture: architecture)
        do { FuzzSupport.tinyPredict(try SafetensorsCodec().read(contents: bytes, name: "fuzz.safetensors", options: options).model) } catch {
            FuzzSupport.expectTyped(error, "read")
        }
    }
    do { _ = try ModelFile.inspect(contents: bytes, name: "fuzz.safetensors", statistics: true) } catch {
        FuzzSupport.expectTyped(error, "inspect")
    }
    return 0
}
