// The CSV reader: `CSVDataset.load(contents:path:classNames:)`, after `Gzip.decompress` when
// the input is gzip, with and without class names; an accepted dataset is sliced and gathered.
import FuzzSupport
@_spi(Testing) import NNSystem
@_spi(Testing) import NNData
@_spi(Testing) import NNCore
import NNModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if Gzip.isGzip(bytes) {
        do { bytes = try Gzip.decompress(bytes, path: "fuzz.csv.gz") } catch { return 0 }
    }
    for classNames in [nil, ["a", "b", "c"]] as [[String]?] {
        do {
            let dataset = try CSVDataset.load(contents: bytes, path: "fuzz.csv", classNames: classNames)
            guard dataset.count > 0 else { FuzzSupport.fuzzFailure("an accepted CSV dataset is empty") }
            let part = dataset.slice(0..<min(dataset.count, 3))
            let indices = Array(0..<part.count)
            var out = [Float](repeating: 0, count: part.count * part.sampleSize)
            indices.withUnsafeBufferPointer { idx in
                out.withUnsafeMutableBufferPointer { part.gather(idx, into: $0.baseAddress!) }
            }
            _ = part.labelWidth
        } catch {
            FuzzSupport.expectTyped(error, "CSVDataset.load")
        }
    }
    return 0
}
