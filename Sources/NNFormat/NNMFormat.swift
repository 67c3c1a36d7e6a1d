import NNSchema

/// Constants of the `.nnm` format (see `Spec/FORMAT.md`).
public enum NNMFormat {
    /// The first eight bytes of every file: `\x89 N N M \r \n \x1a \n`.
    public static let magic: [UInt8] = [0x89, 0x4E, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The major version this library writes and the highest it reads.
    public static let majorVersion = 1
    /// The minor version this library writes.
    public static let minorVersion = 0
    /// Magic (8), major (2), minor (2), header CRC-32 (4), header length (8).
    public static let preambleSize = 24
    /// The largest header accepted, in bytes.
    public static let maximumHeaderLength = 16 << 20
    /// Tensor data offsets (relative to the data section, which itself starts aligned) are multiples of this.
    public static let alignment = 64
    /// The most tensors a file may list.
    public static let maximumTensorCount = 1 << 16
    /// The highest tensor rank accepted.
    public static let maximumRank = 8
    /// The file-name extension.
    public static let fileExtension = "nnm"

    /// `n` rounded up to a multiple of ``alignment``.
    static func aligned(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}

/// One row of the tensor table.
public struct NNMTensorEntry: Sendable, Equatable {
    /// The tensor's name: `<layer>/kernel`, `<layer>/bias`, or `optimizer/<slot>/<weight>`.
    public var name: String
    /// How the elements are stored.
    public var dtype: DType
    /// The tensor's shape.
    public var shape: [Int]
    /// Byte offset from the start of the data section.
    public var offset: Int
    /// Byte length (`shape` product × dtype size).
    public var length: Int
    /// CRC-32 of the stored bytes.
    public var crc32: UInt32

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
}

/// Everything the header of a `.nnm` file says, plus where things are.
public struct NNMHeader: Sendable {
    /// The file's format version.
    public var major: Int
    public var minor: Int
    /// The header's length in bytes.
    public var headerLength: Int
    /// The absolute file offset of the data section.
    public var dataOffset: Int
    /// The size of the whole file.
    public var fileSize: Int
    /// The model description.
    public var architecture: ModelArchitecture
    /// The architecture as the Keras config JSON stored in the file.
    public var architectureJSON: JSON
    /// The tensor table, in file order.
    public var tensors: [NNMTensorEntry]
    /// The saved optimizer state, if any.
    public var optimizer: OptimizerRecord?
    /// Metadata (class names, history, provenance...).
    public var metadata: ModelMetadata

    /// The size of the data section.
    public var dataSize: Int { fileSize - dataOffset }

    /// The storage dtype of the model weights (the first weight's; `nil` for a weightless model).
    public var weightDType: DType? {
        tensors.first { !$0.name.hasPrefix("optimizer/") }?.dtype
    }
}
