// The Keras HDF5 import path: the input as a Keras `.h5` / `.weights.h5` through
// `KerasReader.read(contents:path:architecture:)` (libhdf5's core driver on the bytes, then the
// same reading code as for a file on disk), without an architecture (full models) and with one
// (weights-only layouts, or the given architecture instead of the file's). A model that loads
// must predict.
import FuzzSupport
import NNModel

let tiny = FuzzSupport.tinyArchitecture
let fmnist8 = FuzzSupport.fmnist8Architecture

func read(_ bytes: [UInt8], _ architecture: ModelArchitecture?) {
    FuzzSupport.readKeras(bytes, path: "fuzz.h5", architecture: architecture)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    read(bytes, nil)
    read(bytes, size % 2 == 0 ? tiny : fmnist8)
    return 0
}
