/// The description of a Sequential model: its input shape and its layers, in order.
///
/// This is the one model description every file format reads and writes (the Keras Sequential
/// config subset nnmodel supports); ``KerasConfig`` turns it into Keras's config JSON and back.
public struct ModelArchitecture: Sendable, Equatable {
    /// The model's name (Keras's `config.name`, `"sequential"` by default).
    public var name: String
    /// The shape of one sample, without the batch axis (for Fashion-MNIST `[28, 28]`).
    public var inputShape: [Int]
    /// The name of the input layer, when the source had one.
    public var inputName: String
    /// The layers after the input, in order.
    public var layers: [Layer]
    /// The dtype the source model's weights had (``DType/float32`` unless a Keras file said
    /// otherwise); nnmodel always computes in float32.
    public var sourceDType: DType

    public init(
        name: String = "sequential", inputShape: [Int], inputName: String = "input_layer",
        layers: [Layer], sourceDType: DType = .float32
    ) {
        self.name = name
        self.inputShape = inputShape
        self.inputName = inputName
        self.layers = layers
        self.sourceDType = sourceDType
    }

    /// The seed model: `Flatten(28×28) → Dense(128, relu) → Dense(10, softmax)`.
    public static func seed(hidden: [Int] = [128], activation: Activation = .relu, classes: Int = 10) -> ModelArchitecture {
        .multilayerPerceptron(inputShape: [28, 28], hidden: hidden, activation: activation, outputs: classes,
                              outputActivation: .softmax)
    }

    /// `Flatten → Dense(h₁, activation) → … → Dense(outputs, outputActivation)` with Keras's default names.
    public static func multilayerPerceptron(
        inputShape: [Int], hidden: [Int], activation: Activation, outputs: Int, outputActivation: Activation
    ) -> ModelArchitecture {
        var layers: [Layer] = []
        if inputShape.count != 1 { layers.append(Layer(name: "flatten", kind: .flatten)) }
        for (i, units) in (hidden + [outputs]).enumerated() {
            let act = i == hidden.count ? outputActivation : activation
            layers.append(Layer(name: i == 0 ? "dense" : "dense_\(i)", kind: .dense(Dense(units: units, activation: act))))
        }
        return ModelArchitecture(inputShape: inputShape, layers: layers)
    }
}

/// One layer of a ``ModelArchitecture``.
public struct Layer: Sendable, Equatable {
    /// The layer's unique name (`"dense"`, `"dense_1"`, ...), used to name its weights.
    public var name: String
    /// What the layer computes.
    public var kind: LayerKind
    /// Whether training updates the layer's weights (Keras's `trainable`).
    public var trainable: Bool
    /// Keras options the source config set that nnmodel does not apply (regularizers,
    /// constraints); they do not change inference, and training warns about them.
    public var ignoredOptions: [String] = []

    public init(name: String, kind: LayerKind, trainable: Bool = true) {
        self.name = name
        self.kind = kind
        self.trainable = trainable
    }

    /// The Keras class name of the layer.
    public var className: String { kind.className }

    /// The activation the layer applies (a Dense layer's or an Activation layer's), if any.
    public var activation: Activation? {
        switch kind {
        case let .dense(d): return d.activation
        case let .conv2D(c): return c.activation
        case let .activation(a): return a
        case .softmax: return .softmax
        default: return nil
        }
    }
}

/// The closed set of layer types nnmodel supports.
public enum LayerKind: Sendable, Equatable {
    /// Reshapes each sample to one axis (a no-op on row-major memory).
    case flatten
    /// A fully connected layer, `y = activation(x · kernel + bias)` on the last axis.
    case dense(Dense)
    /// An activation on its own.
    case activation(Activation)
    /// Inverted dropout: during training each element is zeroed with probability `rate` and the
    /// rest scaled by `1 / (1 - rate)`; at inference it is the identity.
    case dropout(rate: Double)
    /// A 2-D convolution over channels-last images.
    indirect case conv2D(Conv2D)
    /// `MaxPooling2D` or `AveragePooling2D`.
    indirect case pooling2D(Pooling2D)
    /// `GlobalMaxPooling2D` or `GlobalAveragePooling2D`.
    indirect case globalPooling2D(GlobalPooling2D)
    /// Gives each sample a new shape with the same element count (row-major, a no-op on memory);
    /// the target shape as the config gave it (one dimension may be -1, inferred).
    indirect case reshape(targetShape: [Int])
    /// Batch normalization over the last axis.
    indirect case batchNormalization(BatchNormalization)
    /// Layer normalization over the last axis.
    indirect case layerNormalization(LayerNormalization)
    /// Keras's `ReLU` layer (with optional cap, slope and threshold).
    indirect case relu(ReLULayer)
    /// `LeakyReLU`: `x` for `x ≥ 0`, `negativeSlope · x` otherwise.
    case leakyReLU(negativeSlope: Double)
    /// `ELU`: `x` for `x > 0`, `alpha · (e^x - 1)` otherwise.
    case elu(alpha: Double)
    /// `Softmax` over the last axis.
    case softmax
    /// `PReLU`, with a learned slope.
    indirect case prelu(PReLU)

    /// The Keras class name.
    public var className: String {
        switch self {
        case .flatten: return "Flatten"
        case .dense: return "Dense"
        case .activation: return "Activation"
        case .dropout: return "Dropout"
        case .conv2D: return "Conv2D"
        case let .pooling2D(p): return p.mode == .max ? "MaxPooling2D" : "AveragePooling2D"
        case let .globalPooling2D(p): return p.mode == .max ? "GlobalMaxPooling2D" : "GlobalAveragePooling2D"
        case .reshape: return "Reshape"
        case .batchNormalization: return "BatchNormalization"
        case .layerNormalization: return "LayerNormalization"
        case .relu: return "ReLU"
        case .leakyReLU: return "LeakyReLU"
        case .elu: return "ELU"
        case .softmax: return "Softmax"
        case .prelu: return "PReLU"
        }
    }

    /// The Keras class names nnmodel supports (besides `InputLayer`).
    public static let supportedClassNames = [
        "InputLayer", "Flatten", "Dense", "Activation", "Dropout", "Conv2D", "MaxPooling2D", "AveragePooling2D",
        "GlobalMaxPooling2D", "GlobalAveragePooling2D", "Reshape", "BatchNormalization", "LayerNormalization",
        "ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU",
    ]
}

/// The configuration of a Dense layer.
public struct Dense: Sendable, Equatable {
    /// The number of outputs.
    public var units: Int
    /// The activation applied to `x · kernel + bias`.
    public var activation: Activation
    /// Whether the layer adds a bias vector.
    public var useBias: Bool
    /// How the kernel is filled before training.
    public var kernelInitializer: Initializer
    /// How the bias is filled before training.
    public var biasInitializer: Initializer

    public init(
        units: Int, activation: Activation = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros
    ) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
    }
}

/// The name, role and shape of one weight tensor a model needs.
public struct WeightSpec: Sendable, Equatable {
    /// The owning layer's index in ``ModelArchitecture/layers``.
    public var layerIndex: Int
    /// The weight's role within its layer (`"kernel"` or `"bias"`).
    public var role: String
    /// The full name, `"<layer>/<role>"`.
    public var name: String
    /// The expected shape.
    public var shape: [Int]
    /// Whether training updates it.
    public var trainable: Bool
}

extension ModelArchitecture {
    /// The largest rank and dimension accepted, so shape arithmetic never overflows.
    public static let maximumRank = 8
    /// The largest element count of any single activation or weight (8 GiB as float32).
    public static let maximumElements = 1 << 31
    /// The largest total number of weights (16 GiB as float32).
    public static let maximumParameters = 1 << 32
    /// The most layers a model may have (far more than any chain nnmodel runs; it bounds the work
    /// a config can ask for).
    public static let maximumLayers = 10_000

    /// Checks names, sizes and shapes, returning the output shape of every layer.
    public func validated() throws(ModelConfigError) -> [[Int]] {
        guard layers.count <= ModelArchitecture.maximumLayers else {
            throw .tooManyLayers(count: layers.count, limit: ModelArchitecture.maximumLayers)
        }
        guard !inputShape.isEmpty, inputShape.count <= ModelArchitecture.maximumRank else {
            throw .invalidInputShape(inputShape, reason: "rank must be 1 to \(ModelArchitecture.maximumRank)")
        }
        guard inputShape.allSatisfy({ $0 > 0 }),
              let n = Tensor.checkedCount(of: inputShape), n <= ModelArchitecture.maximumElements
        else { throw .invalidInputShape(inputShape, reason: "every dimension must be positive and the size reasonable") }
        var seen: Set<String> = [inputName]
        var shape = inputShape
        var shapes: [[Int]] = []
        var parameters = 0
        for layer in layers {
            guard !layer.name.isEmpty else { throw .invalidField(layer: "(unnamed)", field: "name", expected: "a non-empty name", found: "\"\"") }
            guard seen.insert(layer.name).inserted else { throw .duplicateLayerName(layer.name) }
            shape = try layer.outputShape(input: shape, parameters: &parameters)
            shapes.append(shape)
        }
        return shapes
    }

    /// The shape of one output sample.
    public var outputShape: [Int] {
        (try? validated())?.last ?? inputShape
    }

    /// Every weight the model needs, in Keras's order (layer order; kernel before bias).
    public func weightSpecs() throws(ModelConfigError) -> [WeightSpec] {
        let shapes = try validated()
        var specs: [WeightSpec] = []
        for (i, layer) in layers.enumerated() {
            let input = i == 0 ? inputShape : shapes[i - 1]
            for (role, shape, trainable) in layer.kind.weightShapes(input: input) {
                specs.append(WeightSpec(layerIndex: i, role: role, name: "\(layer.name)/\(role)",
                                        shape: shape, trainable: trainable && layer.trainable))
            }
        }
        return specs
    }

    /// The weight specs of each layer, indexed like ``layers`` (one pass over the specs).
    public func weightSpecsByLayer() throws(ModelConfigError) -> [[WeightSpec]] {
        var byLayer = [[WeightSpec]](repeating: [], count: layers.count)
        for spec in try weightSpecs() { byLayer[spec.layerIndex].append(spec) }
        return byLayer
    }

    /// The number of weights of each layer, in layer order.
    public func parameterCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: layers.count)
        for spec in (try? weightSpecs()) ?? [] { counts[spec.layerIndex] += spec.shape.reduce(1, *) }
        return counts
    }
}
