/// What a file holds when nnmodel can read it but cannot run it: the layers as the file writes
/// them, every stored array, and why nnmodel cannot run it.
///
/// `ModelFile.describe(_:verify:statistics:architecture:)` (NNModel) returns one where loading
/// the file fails only because of what nnmodel supports: a Keras model with layers, activations
/// or connections nnmodel does not run, a file of weights alone read without an architecture,
/// an ONNX graph that is not a plain chain, or an HDF5 file that is not a Keras model at all.
/// `nnmodel inspect` renders it as it renders an ``Inspection``, like h5ls and Netron show files
/// they cannot execute.
public struct FileListing: Sendable {
    /// Why nnmodel cannot run the file.
    public enum Obstacle: String, Sendable, Equatable, CaseIterable {
        /// The architecture has layers, activations or connections nnmodel does not run.
        case unsupportedArchitecture = "unsupported_architecture"
        /// The file holds weights alone: an architecture given separately makes it runnable.
        case weightsOnly = "weights_only"
        /// The file is not a model: an HDF5 file not laid out as Keras saves models.
        case notAModel = "not_a_model"
    }

    /// One layer (or ONNX graph node) as the file writes it.
    public struct Layer: Sendable {
        /// The layer's name (for an ONNX node, its name, else its first output's).
        public var name: String
        /// The class as written (`Conv2D`, `ScaleBy`), or an ONNX node's operator (`Conv`).
        public var className: String
        /// The registered or module-qualified name of a class from outside Keras
        /// (`nnmodel_fixtures>ScaleBy`), when the file gives one.
        public var registeredName: String?
        /// The layer's config exactly as written (`{}` when the file gives none); for an ONNX
        /// node, its attributes.
        public var config: JSON
        /// The layers (or ONNX values) feeding this one, for models that are graphs (functional
        /// Keras models, ONNX); nil for a Sequential model, whose layers each feed the next.
        public var inputs: [String]?
        /// The output shape without the batch axis, where the file states it or it follows from
        /// layers nnmodel knows; nil when unknown. A dimension the file leaves open is -1.
        public var outputShape: [Int]?
        /// Values stored for the layer's weights, where the file's arrays can be matched to it.
        public var parameterCount: Int?
        /// Why nnmodel cannot run this layer, as loading the file says it; nil for a layer it runs.
        public var problem: String?

        public init(name: String, className: String, registeredName: String? = nil, config: JSON = .object([]),
                    inputs: [String]? = nil, outputShape: [Int]? = nil, parameterCount: Int? = nil, problem: String? = nil) {
            self.name = name
            self.className = className
            self.registeredName = registeredName
            self.config = config
            self.inputs = inputs
            self.outputShape = outputShape
            self.parameterCount = parameterCount
            self.problem = problem
        }
    }

    /// One stored array, or an entry of the file that could not be listed as one.
    public struct Tensor: Sendable {
        /// Its name, or its path in the file (`layers/conv2d/vars/0`).
        public var name: String
        /// Its element type as stored (`float32`, `int64`, `string`, `compound`, `F8_E4M3`); nil
        /// for an entry that is not an array (a link) or was not opened.
        public var dtype: String?
        /// Its shape (`[]` for a scalar); nil when unknown.
        public var shape: [Int]?
        /// The offset of its first byte in the file, for formats that place arrays at offsets.
        public var offset: Int?
        /// The bytes it occupies, where known.
        public var byteLength: Int?
        /// Statistics of its values, when asked for and the values are numbers.
        public var statistics: Inspection.Statistics?
        /// What it is when it is not an array listed in full: a link (never followed), an array
        /// nnmodel does not open, and why.
        public var note: String?

        public init(name: String, dtype: String?, shape: [Int]?, offset: Int? = nil, byteLength: Int? = nil,
                    statistics: Inspection.Statistics? = nil, note: String? = nil) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.offset = offset
            self.byteLength = byteLength
            self.statistics = statistics
            self.note = note
        }

        /// The number of elements, when the shape is known.
        public var elementCount: Int? {
            guard let shape else { return nil }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: max(0, d))
                if overflow { return nil }
                count = product
            }
            return count
        }
    }

    /// An attribute of the file itself (an HDF5 file's root attributes), with its value as
    /// stored: strings and numbers, arrays of them, or a description of a value that is neither
    /// (`"(compound)"`). Long values are cut (`complete` is then false).
    public struct Attribute: Sendable {
        public var name: String
        public var value: JSON
        /// Whether `value` is the whole value.
        public var complete: Bool

        public init(name: String, value: JSON, complete: Bool = true) {
            self.name = name
            self.value = value
            self.complete = complete
        }
    }

    /// The file's format and the facts it states (Keras version, layout, producer).
    public var file: FileDescription
    /// Why nnmodel cannot run the file, in kind.
    public var obstacle: Obstacle
    /// Why nnmodel cannot run the file, as loading it says it (the error's message).
    public var reason: String
    /// The model class as written (`Sequential`, `Functional`), for files with an architecture.
    public var modelClass: String?
    /// The model's name as written.
    public var modelName: String?
    /// The layers as written, in the file's order; empty when the file has no architecture.
    public var layers: [Layer]
    /// Every array stored in the file, in the file's order.
    public var tensors: [Tensor]
    /// Entries the listing left out (it stops at a limit; see `Spec/LIMITS.md`).
    public var omittedTensors: Int
    /// The file's own attributes, for files that are not models.
    public var attributes: [Attribute]
    /// Attributes left out of ``attributes`` (it stops at a limit).
    public var omittedAttributes: Int
    /// What the file records besides (training configuration, producer, creation date).
    public var metadata: ModelMetadata

    public init(file: FileDescription, obstacle: Obstacle, reason: String, modelClass: String? = nil, modelName: String? = nil,
                layers: [Layer] = [], tensors: [Tensor] = [], omittedTensors: Int = 0, attributes: [Attribute] = [],
                omittedAttributes: Int = 0, metadata: ModelMetadata = ModelMetadata()) {
        self.file = file
        self.obstacle = obstacle
        self.reason = reason
        self.modelClass = modelClass
        self.modelName = modelName
        self.layers = layers
        self.tensors = tensors
        self.omittedTensors = omittedTensors
        self.attributes = attributes
        self.omittedAttributes = omittedAttributes
        self.metadata = metadata
    }

    /// The file listed.
    public var path: String { file.path }

    /// Values stored in the listed arrays (those with a known shape).
    public var storedValueCount: Int {
        tensors.reduce(0) { total, t in
            let (sum, overflow) = total.addingReportingOverflow(t.elementCount ?? 0)
            return overflow ? Int.max : sum
        }
    }
}
