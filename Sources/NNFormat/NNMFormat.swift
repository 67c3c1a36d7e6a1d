import NNSchema

/// Constants of the `.nnm` format (see `Spec/FORMAT.md`).
package enum NNMFormat {
    /// The first eight bytes of every file: `\x89 N N M \r \n \x1a \n`.
    package static let magic: [UInt8] = [0x89, 0x4E, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The major version this library writes and the highest it reads.
    package static let majorVersion = 1
    /// The minor version this library writes.
    package static let minorVersion = 0
    /// Magic (8), major (2), minor (2), header CRC-32 (4), header length (8).
    package static let preambleSize = 24
    /// The largest header accepted, in bytes.
    package static let maximumHeaderLength = 16 << 20
    /// Tensor data offsets (relative to the data section, which itself starts aligned) are multiples of this.
    package static let alignment = 64
    /// The most tensors a file may list.
    package static let maximumTensorCount = 1 << 16
    /// The highest tensor rank accepted.
    package static let maximumRank = 8
    /// The file-name extension.
    package static let fileExtension = "nnm"

    /// `n` rounded up to a multiple of ``alignment``.
    static func aligned(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}

/// One row of the tensor table.
package struct NNMTensorEntry: Sendable, Equatable {
    /// The tensor's name: `<layer>/kernel`, `<layer>/bias`, or `optimizer/<slot>/<weight>`.
    package var name: String
    /// How the elements are stored.
    package var dtype: DType
    /// The tensor's shape.
    package var shape: [Int]
    /// Byte offset from the start of the data section.
    package var offset: Int
    /// Byte length (`shape` product × dtype size).
    package var length: Int
    /// CRC-32 of the stored bytes.
    package var crc32: UInt32

    /// Number of elements.
    package var count: Int { shape.reduce(1, *) }
}

/// Everything the header of a `.nnm` file says, plus where things are.
package struct NNMHeader: Sendable {
    /// The file's format version.
    package var major: Int
    package var minor: Int
    /// The header's length in bytes.
    package var headerLength: Int
    /// The absolute file offset of the data section.
    package var dataOffset: Int
    /// The size of the whole file.
    package var fileSize: Int
    /// The model description.
    package var architecture: ModelArchitecture
    /// The architecture as the Keras config JSON stored in the file.
    package var architectureJSON: JSON
    /// The tensor table, in file order.
    package var tensors: [NNMTensorEntry]
    /// The saved optimizer state, if any.
    package var optimizer: OptimizerRecord?
    /// Metadata (class names, history, provenance...).
    package var metadata: ModelMetadata

    /// The size of the data section.
    package var dataSize: Int { fileSize - dataOffset }

    /// The storage dtype of the model weights (the first weight's; `nil` for a weightless model).
    package var weightDType: DType? {
        tensors.first { !$0.name.hasPrefix("optimizer/") }?.dtype
    }
}
