import NNTestSupport
import Foundation
import Testing
import NNCore
@testable import NNData
@testable import NNSystem

func source(_ argument: String) -> DataError? {
    dataError { () throws(DataError) in try DataSource(argument) }
}

/// Writes MNIST-style IDX files (train: 4 samples, test: 2) into `folder`, gzipped or not.
func writeIDXDataset(into folder: TemporaryFolder, gzip: Bool, separator: String = "-") throws {
    let wrap = { (b: [UInt8]) in gzip ? storedGzip(b) : b }
    let ext = gzip ? ".gz" : ""
    try folder.write("train-images\(separator)idx3-ubyte\(ext)", wrap(idx([4, 2, 2], (0..<16).map { UInt8($0 * 10) })))
    try folder.write("train-labels\(separator)idx1-ubyte\(ext)", wrap(idx([4], [3, 1, 0, 2])))
    try folder.write("t10k-images\(separator)idx3-ubyte\(ext)", wrap(idx([2, 2, 2], [9, 9, 9, 9, 1, 1, 1, 1])))
    try folder.write("t10k-labels\(separator)idx1-ubyte\(ext)", wrap(idx([2], [1, 0])))
}

@Suite("Data sources")
struct DataSourceTests {
    @Test(arguments: [(true, "-"), (false, "-"), (true, "."), (false, ".")])
    func folderOfIDXFiles(gzip: Bool, separator: String) throws {
        let folder = try TemporaryFolder("digits")
        try writeIDXDataset(into: folder, gzip: gzip, separator: separator)
        let s = try DataSource(folder.path)
        #expect(s.layout == .idx(directory: folder.path))
        #expect(!s.isDefault)
        #expect(s.classNames == nil)
        let train = try s.load(.train), test = try s.load(.test)
        #expect(train.count == 4 && test.count == 2)
        #expect(train.sampleShape == [2, 2])
        #expect(classLabels(train) == [3, 1, 0, 2])
        #expect(classLabels(test) == [1, 0])
        #expect(train.name == "\(folder.path) (train)")
    }

    @Test func classNamesFromClassesTxtOrAFashionPath() throws {
        let folder = try TemporaryFolder("digits")
        try writeIDXDataset(into: folder, gzip: true)
        try folder.write("classes.txt", text: "zero\none\ntwo\nthree\n")
        let s = try DataSource(folder.path)
        #expect(s.classNames == ["zero", "one", "two", "three"])
        #expect(try s.load(.train).classNames == ["zero", "one", "two", "three"])

        let fashion = try TemporaryFolder("my-Fashion-copy")
        try writeIDXDataset(into: fashion, gzip: false)
        #expect(try DataSource(fashion.path).classNames == FashionMNIST.classNames)
    }

    @Test func classesTxtTooShortForTheLabels() throws {
        let folder = try TemporaryFolder("digits")
        try writeIDXDataset(into: folder, gzip: true)
        try folder.write("classes.txt", text: "zero\none\n")
        let s = try DataSource(folder.path)
        let labels = folder.path + "/train-labels-idx1-ubyte.gz"
        #expect(dataError({ () throws(DataError) in try s.load(.train) }) == .labelOutOfRange(path: labels, index: 0, label: 3, classes: 2))
    }

    @Test func aMissingSplitNamesTheExpectedFile() throws {
        let folder = try TemporaryFolder("digits")
        try folder.write("train-images-idx3-ubyte.gz", storedGzip(idx([1, 2, 2], [1, 2, 3, 4])))
        try folder.write("train-labels-idx1-ubyte.gz", storedGzip(idx([1], [0])))
        let s = try DataSource(folder.path)
        #expect(try s.load(.train).count == 1)
        let expected = folder.path + "/t10k-images-idx3-ubyte.gz"
        #expect(dataError({ () throws(DataError) in try s.load(.test) }) == .file(.notFound(path: expected)))
    }

    @Test func kaggleStyleCSVFolder() throws {
        let folder = try TemporaryFolder("kaggle")
        try folder.write("fashion-mnist_train.csv", text: "label,p1,p2\n1,0,255\n0,10,20\n2,30,40\n")
        try folder.write("fashion-mnist_test.csv", text: "label,p1,p2\n2,1,1\n")
        try folder.write("README.md", text: "not data")
        let s = try DataSource(folder.path)
        #expect(s.layout == .csvDirectory(train: folder.path + "/fashion-mnist_train.csv", test: folder.path + "/fashion-mnist_test.csv"))
        #expect(classLabels(try s.load(.train)) == [1, 0, 2])
        #expect(classLabels(try s.load(.test)) == [2])

        let trainOnly = try TemporaryFolder("kaggle")
        try trainOnly.write("TRAIN.CSV.GZ", storedGzip(Array("1,2\n".utf8)))
        let t = try DataSource(trainOnly.path)
        #expect(t.layout == .csvDirectory(train: trainOnly.path + "/TRAIN.CSV.GZ", test: nil))
        #expect(try t.load(.train).count == 1)
        expectError(dataError({ () throws(DataError) in try t.load(.test) }), "unknownLayout", path: trainOnly.path, "test")
    }

    @Test func singleCSVFile() throws {
        let folder = try TemporaryFolder("single")
        let path = try folder.write("fashion.csv", text: "3,1,2\n")
        let s = try DataSource(path)
        #expect(s.layout == .csvFile(path))
        #expect(s.classNames == FashionMNIST.classNames)  // "fashion" in the path
        #expect(try s.load(.train).count == 1)
        #expect(try s.load(.test).count == 1)
    }

    @Test func unknownFoldersAndMissingPaths() throws {
        let folder = try TemporaryFolder("other")
        try folder.write("notes.txt", text: "hello")
        expectError(source(folder.path), "unknownLayout", path: folder.path, "train-images-idx3-ubyte.gz", "*train*.csv")
        let missing = folder.path + "/nowhere"
        #expect(source(missing) == .file(.notFound(path: missing)))
    }

    @Test func defaultDatasetMissingSaysWhichPackageToInstall() throws {
        var s = try DataSource()
        #expect(s.isDefault && s.name == "fashion-mnist")
        #expect(s.layout == .idx(directory: "/usr/share/datasets/fashion-mnist"))
        #expect(s.classNames == FashionMNIST.classNames)
        // Point the default dataset at a folder without the files.
        let empty = try TemporaryFolder("no-dataset")
        s.layout = .idx(directory: empty.path)
        let error = dataError { () throws(DataError) in try s.load(.train) }
        #expect(error == .datasetMissing(path: empty.path + "/train-images-idx3-ubyte.gz", package: "dataset-fashion-mnist"))
        let message = error?.description ?? ""
        #expect(message.contains("dataset-fashion-mnist") && message.contains("apt-get install"), "\(message)")
        #expect(message.hasPrefix(empty.path + "/train-images-idx3-ubyte.gz"))
    }
}
