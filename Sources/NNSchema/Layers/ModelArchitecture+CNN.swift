extension ModelArchitecture {
    /// The Keras tutorial CNN for 28×28 grey images:
    /// `Conv2D(32, 3×3, relu) → MaxPooling2D(2×2) → Conv2D(64, 3×3, relu) → MaxPooling2D(2×2) →
    /// Flatten → [Dropout(rate)] → Dense(128, relu) → Dense(classes, softmax)` on input
    /// `(height, width, 1)`, with Keras's default names and initializers (34,826 + 225,034
    /// weights for 10 classes on 28×28: 225,034 in all).
    public static func convolutional(inputShape: [Int] = [28, 28, 1], classes: Int = 10, dropout: Double? = nil) -> ModelArchitecture {
        var layers: [Layer] = [
            Layer(name: "conv2d", kind: .conv2D(Conv2D(filters: 32, kernelSize: [3, 3], activation: .relu))),
            Layer(name: "max_pooling2d", kind: .pooling2D(Pooling2D(mode: .max))),
            Layer(name: "conv2d_1", kind: .conv2D(Conv2D(filters: 64, kernelSize: [3, 3], activation: .relu))),
            Layer(name: "max_pooling2d_1", kind: .pooling2D(Pooling2D(mode: .max))),
            Layer(name: "flatten", kind: .flatten),
        ]
        if let dropout { layers.append(Layer(name: "dropout", kind: .dropout(rate: dropout))) }
        layers += [
            Layer(name: "dense", kind: .dense(Dense(units: 128, activation: .relu))),
            Layer(name: "dense_1", kind: .dense(Dense(units: classes, activation: .softmax))),
        ]
        let input = inputShape.count == 2 ? inputShape + [1] : inputShape
        return ModelArchitecture(inputShape: input, layers: layers)
    }
}
