import NNCore
import NNSystem

/// Where a command's data comes from: what `--data` names.
///
/// - `fashion-mnist` (the default): Debian's IDX files in ``FashionMNIST/defaultDirectory``.
/// - a folder holding the four MNIST-style IDX files (`train-images-idx3-ubyte[.gz]`,
///   `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`);
/// - a folder holding Kaggle-style CSV files (a name containing `train` and one containing `test`);
/// - a single CSV file (label first), used for whichever split is asked for.
///
/// Class names: Fashion-MNIST's for the default dataset and for folders whose path mentions
/// "fashion"; otherwise the lines of a `classes.txt` in the folder, when there is one.
public struct DataSource: Sendable {
    public enum Layout: Sendable, Equatable {
        case idx(directory: String)
        case csvDirectory(train: String?, test: String?)
        case csvFile(String)
    }

    /// The layout found.
    public var layout: Layout
    /// The name given on the command line.
    public var name: String
    /// Class names, when known.
    public var classNames: [String]?
    /// Whether this is the built-in default dataset (for the missing-package hint).
    public var isDefault: Bool

    /// Resolves a `--data` argument.
    public init(_ argument: String = FashionMNIST.name) throws(DataError) {
        name = argument
        isDefault = argument == FashionMNIST.name
        let path = isDefault ? FashionMNIST.defaultDirectory : argument
        if isDefault {
            layout = .idx(directory: path)
            classNames = FashionMNIST.classNames
            return
        }
        guard FileReader.exists(path) else { throw .file(.notFound(path: path)) }
        if !FileReader.isDirectory(path) {
            layout = .csvFile(path)
            classNames = path.lowercased().contains("fashion") ? FashionMNIST.classNames : nil
            return
        }
        let names: [String]
        do { names = try FileReader.contents(ofDirectory: path) } catch { throw .file(error) }
        if names.contains(where: { $0.hasPrefix("train-images") || $0.hasPrefix("t10k-images") }) {
            layout = .idx(directory: path)
        } else {
            let csvs = names.filter { $0.lowercased().hasSuffix(".csv") || $0.lowercased().hasSuffix(".csv.gz") }
            let train = csvs.first { $0.lowercased().contains("train") }
            let test = csvs.first { $0.lowercased().contains("test") }
            guard train != nil || test != nil else {
                throw .unknownLayout(path: path, reason: "expected the MNIST-style IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) or CSV files named *train*.csv / *test*.csv")
            }
            layout = .csvDirectory(train: train.map { path + "/" + $0 }, test: test.map { path + "/" + $0 })
        }
        if names.contains("classes.txt") {
            // Refused, not ignored, when it cannot be read: a FIFO, a folder, more than 1 MiB.
            let text: [UInt8]
            do { text = try FileReader.bytes(path + "/classes.txt", limit: 1 << 20) } catch { throw .file(error) }
            let lines = String(decoding: text, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
            classNames = lines.isEmpty ? nil : lines
        } else if path.lowercased().contains("fashion") {
            classNames = FashionMNIST.classNames
        }
    }

    /// Loads one split.
    public func load(_ split: DataSplit) throws(DataError) -> Dataset {
        switch layout {
        case let .idx(directory):
            let images = try idxFile(directory, "\(split.idxPrefix)-images", "idx3-ubyte")
            let labels = try idxFile(directory, "\(split.idxPrefix)-labels", "idx1-ubyte")
            return try IDXDataset.load(imagesPath: images, labelsPath: labels, classNames: classNames,
                                       name: isDefault ? "\(FashionMNIST.name) \(split.rawValue)" : "\(directory) (\(split.rawValue))")
        case let .csvDirectory(train, test):
            guard let file = split == .train ? train : test else {
                throw .unknownLayout(path: name, reason: "no CSV file for the \(split.rawValue) split (a name containing '\(split.rawValue)')")
            }
            return try CSVDataset.load(path: file, classNames: classNames)
        case let .csvFile(file):
            return try CSVDataset.load(path: file, classNames: classNames)
        }
    }

    /// Finds `prefix-suffix`, `prefix.suffix`, with or without `.gz`.
    private func idxFile(_ directory: String, _ prefix: String, _ suffix: String) throws(DataError) -> String {
        let candidates = ["\(prefix)-\(suffix).gz", "\(prefix)-\(suffix)", "\(prefix).\(suffix).gz", "\(prefix).\(suffix)"]
        for c in candidates where FileReader.exists(directory + "/" + c) { return directory + "/" + c }
        let expected = directory + "/" + candidates[0]
        if isDefault { throw .datasetMissing(path: expected, package: FashionMNIST.debianPackage) }
        throw .file(.notFound(path: expected))
    }
}

/// Pairs an IDX image file with its label file.
@_spi(Testing) public enum IDXDataset {
    /// Loads images and labels, checking that they agree.
    @_spi(Testing) public static func load(imagesPath: String, labelsPath: String, classNames: [String]?, name: String) throws(DataError) -> Dataset {
        try load(images: try IDXFile(path: imagesPath), labels: try IDXFile(path: labelsPath), imagesPath: imagesPath,
                 labelsPath: labelsPath, classNames: classNames, name: name)
    }

    /// Pairs IDX files already read; the paths name them in messages.
    @_spi(Testing) public static func load(images: IDXFile, labels: IDXFile, imagesPath: String, labelsPath: String, classNames: [String]?,
                            name: String) throws(DataError) -> Dataset {
        guard images.dimensions.count >= 2 else {
            throw .mismatch(path: imagesPath, reason: "images need at least 2 dimensions (count, pixels...), found \(images.dimensions)")
        }
        guard labels.dimensions.count == 1 else {
            throw .mismatch(path: labelsPath, reason: "labels need 1 dimension, found \(labels.dimensions)")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw .mismatch(path: labelsPath, reason: "\(labels.dimensions[0]) labels for \(images.dimensions[0]) images in \(imagesPath)")
        }
        guard images.dimensions[0] > 0 else { throw .empty(path: imagesPath) }
        let classes = classNames?.count ?? 256
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classes }) {
            throw .labelOutOfRange(path: labelsPath, index: bad, label: Int(labels.bytes[bad]), classes: classes)
        }
        do {
            return try Dataset(name: name, sampleShape: Array(images.dimensions.dropFirst()),
                               features: .uint8(images.bytes, divisor: 255),
                               labels: .classes(labels.bytes.map { Int32($0) }), classNames: classNames)
        } catch {
            throw .mismatch(path: imagesPath, reason: error.description)
        }
    }
}
