@_spi(Testing) import NNSystem
import NNSystem

/// Reads a data file whole, decompressing it when it is gzip.
enum DataFile {
    /// The file's contents, gunzipped if they start with the gzip magic.
    static func contents(_ path: String) throws(DataError) -> [UInt8] {
        do {
            let raw = try FileReader.bytes(path)
            return Gzip.isGzip(raw) ? try Gzip.decompress(raw, path: path) : raw
        } catch {
            throw .file(error)
        }
    }
}
