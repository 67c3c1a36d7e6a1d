// The ONNX reader, whole: protocol buffer walk with its caps, graph to chain, element-wise
// activation recognition, the nnmodel metadata of its own files, weights against the
// architecture, then a tiny predict; also inspection of the same bytes.
import FuzzSupport
import NNModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do { FuzzSupport.tinyPredict(try ONNXCodec().read(contents: bytes, name: "fuzz.onnx", options: ReadOptions()).model) } catch {
        FuzzSupport.expectTyped(error, "read")
    }
    do { _ = try ModelFile.inspect(contents: bytes, name: "fuzz.onnx", statistics: true) } catch {
        FuzzSupport.expectTyped(error, "inspect")
    }
    return 0
}
