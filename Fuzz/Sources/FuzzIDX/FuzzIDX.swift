// The IDX reader: `IDXFile(contents:path:)` on the raw bytes and, when they are gzip, on
// `Gzip.decompress` of them; then images + labels split from one input (the first byte gives
// the split point) paired by `IDXDataset.load(images:labels:...)`, and a batch gathered.
import FuzzSupport
@_spi(Testing) import NNSystem
@_spi(Testing) import NNData
@_spi(Testing) import NNCore
import NNModel

func parse(_ bytes: [UInt8]) -> IDXFile? {
    var data = bytes
    if Gzip.isGzip(bytes) {
        do { data = try Gzip.decompress(bytes, path: "fuzz.idx.gz") } catch { return nil }
    }
    do {
        let file = try IDXFile(contents: data, path: "fuzz.idx")
        guard let n = Tensor.checkedCount(of: file.dimensions), n == file.bytes.count else {
            FuzzSupport.fuzzFailure("IDX dimensions \(file.dimensions) do not match \(file.bytes.count) bytes")
        }
        return file
    } catch {
        return nil
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = parse(bytes)
    guard bytes.count >= 2 else { return 0 }
    // Labels first (the split byte says how long), images after.
    let split = min(bytes.count - 1, 1 + Int(bytes[0]))
    guard let labels = parse(Array(bytes[1..<split])), let images = parse(Array(bytes[split...])) else { return 0 }
    let classNames: [String]? = bytes[0] & 1 == 0 ? nil : ["a", "b", "c"]
    do {
        let dataset = try IDXDataset.load(images: images, labels: labels, imagesPath: "images", labelsPath: "labels",
                                          classNames: classNames, name: "fuzz")
        let count = min(dataset.count, 4)
        guard count > 0, dataset.sampleSize <= FuzzSupport.maximumPredictElements else { return 0 }
        let indices = Array(0..<count)
        var out = [Float](repeating: 0, count: count * dataset.sampleSize)
        indices.withUnsafeBufferPointer { idx in
            out.withUnsafeMutableBufferPointer { dataset.gather(idx, into: $0.baseAddress!) }
        }
    } catch {
        FuzzSupport.expectTyped(error, "IDXDataset.load")
    }
    return 0
}
