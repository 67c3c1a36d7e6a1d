// The Keras HDF5 import path: the input as a Keras `.h5` / `.weights.h5` through
// `KerasReader.read(contents:path:architecture:)` (libhdf5's core driver on the bytes, then the
// same reading code as for a file on disk), without an architecture (full models) and with one
// (weights-only layouts, or the given architecture instead of the file's). A model that loads
// must predict.
import FuzzSupport
import NNModel

/// The architectures of the fixtures the corpus is seeded from.
let tiny = ModelArchitecture(inputShape: [6], layers: [
    Layer(name: "hidden", kind: .dense(Dense(units: 8, activation: .relu))),
    Layer(name: "head", kind: .dense(Dense(units: 3, activation: .softmax))),
])
let fmnist8 = ModelArchitecture.multilayerPerceptron(inputShape: [28, 28], hidden: [8], activation: .relu, outputs: 10,
                                                     outputActivation: .softmax)

func read(_ bytes: [UInt8], _ architecture: ModelArchitecture?) {
    do {
        let (model, _) = try KerasReader.read(contents: bytes, path: "fuzz.h5", architecture: architecture)
        if let architecture, model.architecture != architecture {
            FuzzSupport.fuzzFailure("the given architecture was not used")
        }
        FuzzSupport.tinyPredict(model)
    } catch {}
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    read(bytes, nil)
    read(bytes, size % 2 == 0 ? tiny : fmnist8)
    return 0
}
