/// What a model file says about itself, as read: its format and version, how its weights are
/// stored, and who wrote it. Formats fill the fields that apply to them and leave the rest `nil`.
public struct FileDescription: Sendable, Equatable {
    /// The path that was read.
    public var path: String
    /// The file's format.
    public var format: ModelFormat
    /// The format's version as the file states it (`"1.0"` for `.nnm`), when it states one.
    public var formatVersion: String?
    /// How the format is laid out in this file, when the format has several layouts
    /// (`"Keras legacy HDF5 model (model.save .h5)"`).
    public var layout: String?
    /// The file's size in bytes.
    public var fileSize: Int
    /// The dtype the weights are stored in (`nil` for a model without weights).
    public var weightsDType: DType?
    /// The Keras version recorded in the file.
    public var kerasVersion: String?
    /// The Keras backend recorded in the file.
    public var backend: String?
    /// Whether nnmodel wrote the file (in a format another tool also writes).
    public var writtenByNNModel: Bool
    /// The program that wrote the file, as the file records it (`"nnmodel 0.1.0"`, `"keras 3.15.1"`),
    /// when it records one. A Keras file nnmodel wrote names nnmodel here, although it also carries
    /// the `keras_version` Keras's loader expects (``kerasVersion``).
    public var producer: String?
    /// Whether the architecture came from outside the file (a weights-only file, or one the
    /// caller gave an architecture for).
    public var architectureGivenSeparately: Bool
    /// The size of the file's header in bytes, for formats with a header.
    public var headerLength: Int?
    /// The offset of the first tensor byte, for formats with a data section.
    public var dataOffset: Int?

    public init(path: String, format: ModelFormat, formatVersion: String? = nil, layout: String? = nil, fileSize: Int,
                weightsDType: DType? = nil, kerasVersion: String? = nil, backend: String? = nil,
                writtenByNNModel: Bool = false, producer: String? = nil, architectureGivenSeparately: Bool = false,
                headerLength: Int? = nil, dataOffset: Int? = nil) {
        self.path = path
        self.format = format
        self.formatVersion = formatVersion
        self.layout = layout
        self.fileSize = fileSize
        self.weightsDType = weightsDType
        self.kerasVersion = kerasVersion
        self.backend = backend
        self.writtenByNNModel = writtenByNNModel
        self.producer = producer
        self.architectureGivenSeparately = architectureGivenSeparately
        self.headerLength = headerLength
        self.dataOffset = dataOffset
    }

    /// A short human name of the format as found: `nnm 1.0`, or the layout (`Keras archive (.keras)`).
    public var formatName: String {
        if let layout { return layout }
        return formatVersion.map { "\(format.rawValue) \($0)" } ?? format.rawValue
    }
}
