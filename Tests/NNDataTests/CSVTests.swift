@_spi(Testing) import NNSystem
@_spi(Testing) import NNData
import NNTestSupport
import Foundation
import Testing
import NNCore
@testable import NNData

func loadCSV(_ path: String, classNames: [String]? = nil) -> DataError? {
    dataError { () throws(DataError) in try CSVDataset.load(path: path, classNames: classNames) }
}

@Suite("CSV datasets")
struct CSVTests {
    @Test func headerIsSkippedAndBytesAreScaled() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("train.csv", text: "label,a,b,c\n1,0,128,255\n0,3,2,1\n2,255,255,0\n")
        let data = try CSVDataset.load(path: path, classNames: ["x", "y", "z"])
        #expect(data.count == 3)
        #expect(data.sampleShape == [3])
        #expect(classLabels(data) == [1, 0, 2])
        #expect(data.classNames == ["x", "y", "z"])
        guard case let .uint8(bytes, divisor) = data.features else {
            Issue.record("byte-valued features should stay bytes")
            return
        }
        #expect(bytes == [0, 128, 255, 3, 2, 1, 255, 255, 0])
        #expect(divisor == 255)
        #expect(data.name == path)
    }

    @Test func withoutAHeaderTheFirstRowIsData() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("plain.csv", text: "4,1,2\n5,3,4")  // no final newline
        let data = try CSVDataset.load(path: path)
        #expect(classLabels(data) == [4, 5])
        #expect(data.featureTensor().scalars == [1, 2, 3, 4].map { Float(Double($0) / 255) })
    }

    @Test func crlfLineEndingsSpacesAndBlankLines() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("dos.csv", text: "label,p1,p2\r\n\r\n1, 10 ,20\r\n\r\n0,30,\t40\r\n")
        let data = try CSVDataset.load(path: path)
        #expect(classLabels(data) == [1, 0])
        #expect(data.featureTensor().scalars == [10, 20, 30, 40].map { Float(Double($0) / 255) })
    }

    @Test func gzipCSV() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("train.csv.gz", storedGzip(Array("label,p\n1,7\n0,9\n".utf8)))
        #expect(classLabels(try CSVDataset.load(path: path)) == [1, 0])
    }

    @Test func kaggleFashionMNISTLayoutBecomes28x28() throws {
        let folder = try TemporaryFolder()
        let header = "label," + (1...784).map { "pixel\($0)" }.joined(separator: ",")
        let row1 = "9," + (0..<784).map { String($0 % 256) }.joined(separator: ",")
        let row2 = "0," + (0..<784).map { _ in "0" }.joined(separator: ",")
        let path = try folder.write("fashion-mnist_train.csv", text: [header, row1, row2].joined(separator: "\n") + "\n")
        let data = try CSVDataset.load(path: path, classNames: FashionMNIST.classNames)
        #expect(data.sampleShape == [28, 28])
        #expect(data.count == 2)
        #expect(classLabels(data) == [9, 0])
        #expect(data.featureTensor().scalars.prefix(3) == [0, Float(1.0 / 255), Float(2.0 / 255)])
    }

    /// Values that are not bytes (fractions, negatives, > 255) make every feature Float32, as written.
    @Test func nonByteValuesAreKeptAsFloats() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("floats.csv", text: "1,0,200\n0,0.5,-3\n2,300,1e-3\n")
        let data = try CSVDataset.load(path: path)
        guard case let .float32(values) = data.features else {
            Issue.record("expected float features, got bytes")
            return
        }
        #expect(values == [0, 200, 0.5, -3, 300, 0.001])
        #expect(classLabels(data) == [1, 0, 2])
    }

    @Test func wrongFieldCountNamesTheLine() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("ragged.csv", text: "label,a,b\n1,2,3\n0,4\n")
        let error = loadCSV(path)
        #expect(error == .invalidCSV(path: path, line: 3, reason: "expected 3 fields (label + 2 features), found 2"))
        #expect(error?.description.hasPrefix("\(path), line 3: ") == true)
        let long = try folder.write("long.csv", text: "1,2,3\n0,4,5,6\n")
        expectError(loadCSV(long), "invalidCSV", path: long, "expected 3 fields", "found 4")
        let single = try folder.write("single.csv", text: "1,2\n7\n")
        expectError(loadCSV(single), "invalidCSV", path: single, "found 1 field")
    }

    @Test(arguments: [
        ("1,2\nx,3\n", 2, "label 'x'"),
        ("1,2\n-1,3\n", 2, "label '-1'"),
        ("1,2\n1.5,3\n", 2, "label '1.5'"),
        ("1,2\n,3\n", 2, "label ''"),
        ("1,2,3\n0,four,5\n", 2, "field 2 'four'"),
        ("1,2,3\n0,4,\n", 2, "field 3 ''"),
        ("1,2,3\n0,4,nan\n", 2, "field 3 'nan'"),
        ("1,2,3\n0,4,inf\n", 2, "field 3 'inf'"),
        ("label,a\n1,2\n2,x\n", 3, "field 2 'x'"),
    ])
    func nonNumericValuesNameTheLineAndField(_ text: String, _ line: Int, _ phrase: String) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("bad.csv", text: text)
        let error = loadCSV(path)
        expectError(error, "invalidCSV", path: path, phrase)
        if case let .invalidCSV(_, l, _)? = error { #expect(l == line) }
    }

    @Test func labelsOutsideTheClassNames() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("labels.csv", text: "0,1\n3,1\n1,1\n")
        #expect(loadCSV(path, classNames: ["a", "b", "c"]) == .labelOutOfRange(path: path, index: 1, label: 3, classes: 3))
        #expect(try CSVDataset.load(path: path).count == 3)
    }

    @Test func emptyFiles() throws {
        let folder = try TemporaryFolder()
        for (name, text) in [("empty.csv", ""), ("header.csv", "label,pixel1\n"), ("blank.csv", "\n\n\r\n")] {
            let path = try folder.write(name, text: text)
            #expect(loadCSV(path) == .empty(path: path), "\(name)")
        }
        let missing = folder.path + "/missing.csv"
        #expect(loadCSV(missing) == .file(.notFound(path: missing)))
    }
}
