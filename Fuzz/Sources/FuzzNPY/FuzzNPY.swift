// The NumPy reader: `NPYArray(contents:path:)`; an accepted array's element count must match
// its shape, and its values convert to Float32. The first byte also picks a write-read round trip.
import FuzzSupport
@_spi(Testing) import NNSystem
@_spi(Testing) import NNData
import NNModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let array: NPYArray
    do { array = try NPYArray(contents: bytes, path: "fuzz.npy") } catch { return 0 }
    guard let n = Tensor.checkedCount(of: array.shape), n == array.count else {
        FuzzSupport.fuzzFailure("NPY shape \(array.shape) does not match \(array.count) values")
    }
    let floats = array.floats
    guard floats.count == n else { FuzzSupport.fuzzFailure("floats has \(floats.count) values for \(n)") }
    let encoded = NPYArray.encode(floats: floats, shape: array.shape)
    guard let back = try? NPYArray(contents: encoded, path: "roundtrip.npy"), back.shape == array.shape, back.count == n else {
        FuzzSupport.fuzzFailure("an encoded NPY array of shape \(array.shape) does not read back")
    }
    return 0
}
