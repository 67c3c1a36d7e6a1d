// The .keras (zip) import path: the input as a `.keras` archive through
// `KerasReader.read(contents:path:architecture:)`: the zip directory, config.json and metadata.json,
// member size caps and CRC-32, then the weights store model.weights.h5; without an architecture
// and with one given. A model that loads must predict. An input that is not a zip but an HDF5
// file is wrapped, as model.weights.h5, in a stored .keras archive with the config of the
// architecture it is read with, so that mutations of the weights store get past the zip's CRC-32.
import FuzzSupport
import NNModel

let tiny = FuzzSupport.tinyArchitecture
let fmnist8 = FuzzSupport.fmnist8Architecture

func read(_ bytes: [UInt8], _ architecture: ModelArchitecture?) {
    FuzzSupport.readKeras(bytes, path: "fuzz.keras", architecture: architecture)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let architecture = size % 2 == 0 ? tiny : fmnist8
    if bytes.starts(with: [0x89, 0x48, 0x44, 0x46]) {
        let config = Array(KerasConfig.json(for: architecture).serialized().utf8)
        read(FuzzSupport.storedZip([("config.json", config), ("model.weights.h5", bytes)]), nil)
        return 0
    }
    read(bytes, nil)
    read(bytes, architecture)
    return 0
}
