@_spi(Testing) import NNSystem
@_spi(Testing) import NNData
import NNTestSupport
import Foundation
import Testing
import NNCore
@testable import NNData
@testable import NNSystem

func readIDX(_ path: String) -> DataError? {
    dataError { () throws(DataError) in try IDXFile(path: path) }
}

func loadIDX(_ images: String, _ labels: String, classNames: [String]? = nil) -> DataError? {
    dataError { () throws(DataError) in try IDXDataset.load(imagesPath: images, labelsPath: labels, classNames: classNames, name: "x") }
}

@Suite("IDX files")
struct IDXTests {
    /// Three 2×3 "images" and their labels.
    static let pixels: [UInt8] = (0..<18).map { UInt8($0 * 14) }
    static let labels: [UInt8] = [2, 0, 1]

    @Test(arguments: [false, true])
    func rawAndGzipRoundTrip(gzip: Bool) throws {
        let folder = try TemporaryFolder()
        let wrap = { (b: [UInt8]) in gzip ? storedGzip(b) : b }
        let images = try folder.write("images.idx", wrap(idx([3, 2, 3], Self.pixels)))
        let labelFile = try folder.write("labels.idx", wrap(idx([3], Self.labels)))
        let file = try IDXFile(path: images)
        #expect(file.dimensions == [3, 2, 3])
        #expect(file.bytes == Self.pixels)
        #expect(try IDXFile(path: labelFile).bytes == Self.labels)

        let data = try IDXDataset.load(imagesPath: images, labelsPath: labelFile, classNames: ["a", "b", "c"], name: "tiny")
        #expect(data.count == 3)
        #expect(data.sampleShape == [2, 3])
        #expect(classLabels(data) == [2, 0, 1])
        #expect(data.classNames == ["a", "b", "c"])
        #expect(data.name == "tiny")
        // Pixels are scaled to [0, 1] as they are read, rounded like NumPy's x / 255.0.
        let features = data.featureTensor()
        #expect(features.shape == [3, 2, 3])
        #expect(features.scalars == Self.pixels.map { Float(Double($0) / 255) })
    }

    @Test func realCompressedGzipMembersAreRead() throws {
        let folder = try TemporaryFolder()
        // A real deflate stream (from Python) followed by a stored member: what `cat a.gz b.gz` makes.
        let path = try folder.write("mixed.gz", pythonGzip + storedGzip([1, 2, 3]))
        #expect(try DataFile.contents(path) == pythonGzipPlain + [1, 2, 3])
    }

    @Test func wrongMagicNumber() throws {
        let folder = try TemporaryFolder()
        var bytes = idx([3], Self.labels)
        bytes[0] = 0x01
        let path = try folder.write("bad-magic", bytes)
        expectError(readIDX(path), "invalidIDX", path: path, "magic number")
        // A gzip file that is not IDX inside.
        let text = try folder.write("text.gz", storedGzip(Array("hello, world".utf8)))
        expectError(readIDX(text), "invalidIDX", path: text, "magic number")
    }

    @Test(arguments: [0x09, 0x0B, 0x0C, 0x0D, 0x0E] as [UInt8])
    func wrongElementType(_ type: UInt8) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("floats", idx([3], Self.labels, type: type))
        expectError(readIDX(path), "invalidIDX", path: path, "element type", "expected 08")
    }

    @Test func truncatedData() throws {
        let folder = try TemporaryFolder()
        let short = try folder.write("short", idx([3, 2, 3], Array(Self.pixels.dropLast(5))))
        expectError(readIDX(short), "invalidIDX", path: short, "need 18 data bytes after the 16-byte header", "has only 13", "truncated")
        let header = try folder.write("header", Array(idx([3, 2, 3], []).prefix(9)))
        expectError(readIDX(header), "invalidIDX", path: header, "header needs 16 bytes")
        let tiny = try folder.write("tiny", [0, 0])
        expectError(readIDX(tiny), "invalidIDX", path: tiny, "too few")
        let rank = try folder.write("rank0", [0, 0, 8, 0])
        expectError(readIDX(rank), "invalidIDX", path: rank, "rank 0")
    }

    @Test func trailingData() throws {
        let folder = try TemporaryFolder()
        let long = try folder.write("long", idx([3, 2, 3], Self.pixels + [1, 2]))
        expectError(readIDX(long), "invalidIDX", path: long, "need 18 data bytes after the 16-byte header", "has 2 bytes more", "trailing data")
    }

    @Test func hugeDimensionsAreRefusedWithoutAllocating() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("huge", idx([65_535, 65_535, 65_535], [1, 2, 3, 4]))
        expectError(readIDX(path), "invalidIDX", path: path, "more than")
    }

    /// 3·2³⁰ × 3·2³⁰ × 16 = 9·2⁶⁴, which wraps around to exactly 0 in 64-bit arithmetic: it must
    /// not pass for "0 elements, 0 data bytes".
    @Test func dimensionsWhoseProductOverflowsAreRefused() throws {
        let d = 3 << 30
        let header = idx([d, d, 16], [])
        let error = dataError { () throws(DataError) in try IDXFile(contents: header, path: "wrap.idx") }
        expectError(error, "invalidIDX", path: "wrap.idx", "more than")
    }

    @Test func truncatedGzip() throws {
        let folder = try TemporaryFolder()
        let whole = storedGzip(idx([3, 2, 3], Self.pixels))
        let path = try folder.write("cut.gz", Array(whole.prefix(whole.count - 12)))
        expectError(readIDX(path), "file", path: path, "truncated")
        #expect(readIDX(path).map { if case .file(.invalidGzip) = $0 { true } else { false } } == true)
        // The header is read first (streaming): a cut Python gzip of something else is not IDX.
        let realCut = try folder.write("real-cut.gz", Array(pythonGzip.prefix(100)))
        expectError(readIDX(realCut), "invalidIDX", path: realCut, "magic number")
    }

    @Test func imageAndLabelCountsMustAgree() throws {
        let folder = try TemporaryFolder()
        let images = try folder.write("images", idx([3, 2, 3], Self.pixels))
        let labels = try folder.write("labels", idx([2], [0, 1]))
        expectError(loadIDX(images, labels), "mismatch", path: labels, "2 labels for 3 images in \(images)")
        // Labels must be one-dimensional, images at least two.
        let labels2D = try folder.write("labels2d", idx([3, 1], [0, 1, 2]))
        expectError(loadIDX(images, labels2D), "mismatch", path: labels2D, "labels need 1 dimension")
        let images1D = try folder.write("images1d", idx([3], [0, 1, 2]))
        expectError(loadIDX(images1D, labels), "mismatch", path: images1D, "at least 2 dimensions")
    }

    @Test func labelsOutsideTheClassRange() throws {
        let folder = try TemporaryFolder()
        let images = try folder.write("images", idx([3, 2, 3], Self.pixels))
        let labels = try folder.write("labels", idx([3], [1, 10, 2]))
        let error = loadIDX(images, labels, classNames: FashionMNIST.classNames)
        #expect(error == .labelOutOfRange(path: labels, index: 1, label: 10, classes: 10))
        #expect(error?.description == "\(labels): label 10 of sample 1 is outside the 10 classes (0...9)")
        // Without class names any byte is a class.
        #expect(try IDXDataset.load(imagesPath: images, labelsPath: labels, classNames: nil, name: "x").count == 3)
    }

    @Test func emptyDataset() throws {
        let folder = try TemporaryFolder()
        let images = try folder.write("images", idx([0, 28, 28], []))
        let labels = try folder.write("labels", idx([0], []))
        #expect(try IDXFile(path: images).dimensions == [0, 28, 28])
        let error = loadIDX(images, labels)
        #expect(error == .empty(path: images))
        #expect(error?.description == "\(images): holds no samples")
    }

    @Test func missingAndUnreadableFiles() throws {
        let folder = try TemporaryFolder()
        let missing = folder.path + "/nope-idx3-ubyte"
        #expect(readIDX(missing) == .file(.notFound(path: missing)))
        #expect(readIDX(missing)?.description == "\(missing): no such file")
        #expect(readIDX(folder.path) == .file(.isDirectory(path: folder.path)))
        let empty = try folder.write("empty", [])
        expectError(readIDX(empty), "invalidIDX", path: empty, "0 bytes")
    }
}
