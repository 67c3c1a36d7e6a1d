/// What a model file records besides the architecture and weights.
public struct ModelMetadata: Sendable, Equatable {
    /// Names of the output classes, index by index.
    public var classNames: [String]?
    /// The dataset the model was trained on.
    public var dataset: String?
    /// The training history.
    public var history: History?
    /// The loss the model was trained with (a Keras loss name).
    public var loss: String?
    /// The optimizer the model was trained with, as Keras's optimizer config (`{"class_name", "config"}`).
    public var optimizer: JSON?
    /// The program that wrote the file and its version (`"nnmodel 0.1.0"`, `"keras 3.15.1"`).
    public var producer: String?
    /// When the file was written (ISO 8601, UTC).
    public var createdAt: String?
    /// Free-form user entries.
    public var user: [(key: String, value: String)]
    /// Set when training was interrupted: where it stopped. The weights and optimizer state are
    /// those after the last finished step; the history holds the finished epochs.
    public var interruption: Interruption?
    /// Fields this version does not interpret, kept so they survive a rewrite.
    public var extra: [(key: String, value: JSON)]

    public init(classNames: [String]? = nil, dataset: String? = nil, history: History? = nil, loss: String? = nil,
                optimizer: JSON? = nil, producer: String? = nil, createdAt: String? = nil,
                user: [(key: String, value: String)] = [], extra: [(key: String, value: JSON)] = []) {
        self.classNames = classNames
        self.dataset = dataset
        self.history = history
        self.loss = loss
        self.optimizer = optimizer
        self.producer = producer
        self.createdAt = createdAt
        self.user = user
        self.extra = extra
    }

    public static func == (a: ModelMetadata, b: ModelMetadata) -> Bool {
        a.classNames == b.classNames && a.dataset == b.dataset && a.history == b.history && a.loss == b.loss
            && a.optimizer == b.optimizer && a.producer == b.producer && a.createdAt == b.createdAt
            && a.user.elementsEqual(b.user, by: { $0 == $1 })
            && JSON.object(a.extra) == JSON.object(b.extra) && a.interruption == b.interruption
    }
}

/// Where an interrupted training run stopped: after step `batch` of `batches` in epoch `epoch`.
public struct Interruption: Sendable, Equatable {
    public var epoch: Int
    public var batch: Int
    public var batches: Int

    public init(epoch: Int, batch: Int, batches: Int) {
        self.epoch = epoch
        self.batch = batch
        self.batches = batches
    }
}
