import NNSchema

/// What a Keras file is and what it says about itself.
package struct KerasFileInfo: Sendable {
    /// The ways Keras saves models that nnmodel reads.
    package enum Layout: String, Sendable {
        /// `model.save("x.h5")`: `model_config` attribute and `model_weights` group (Keras 2 and 3).
        case legacyModel = "Keras legacy HDF5 model (model.save .h5)"
        /// Keras 2 `save_weights("x.h5")`: `layer_names` at the root, no architecture.
        case legacyWeights = "Keras 2 legacy HDF5 weights (save_weights .h5)"
        /// Keras 3 (and tf_keras 2.13+) `save_weights("x.weights.h5")`: `layers/<class>/vars/<i>`.
        case weightsH5 = "Keras weights store (.weights.h5)"
        /// Keras 3 (and tf_keras 2.13+) `model.save("x.keras")`: zip of config.json, metadata.json, model.weights.h5.
        case archive = "Keras archive (.keras)"

        /// Whether the layout carries the architecture.
        package var hasArchitecture: Bool { self == .legacyModel || self == .archive }
    }

    package var path: String
    package var layout: Layout
    /// The Keras version that wrote the file, when recorded.
    package var kerasVersion: String?
    /// The backend that wrote the file, when recorded.
    package var backend: String?
    /// The element type the weights are stored in.
    package var weightsDType: DType
    /// Whether nnmodel wrote the file (it records its own version beside Keras's attributes).
    package var writtenByNNModel: Bool
    /// The program that wrote the file as it records itself: nnmodel's `nnmodel_version` attribute
    /// (`"nnmodel 0.1.0"`), else `"keras <keras_version>"`.
    package var producer: String?
}
