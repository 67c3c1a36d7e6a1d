/// Facts about Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017) and where Debian installs it.
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` package puts the IDX files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// The Debian package that provides the data.
    public static let debianPackage = "dataset-fashion-mnist"
    /// The name `--data` accepts for the default dataset.
    public static let name = "fashion-mnist"
    /// The ten class names, by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
}

/// Which part of a dataset to load.
public enum DataSplit: String, Sendable {
    case train, test

    /// The IDX file-name prefix MNIST-style datasets use for this split.
    var idxPrefix: String { self == .train ? "train" : "t10k" }
}
