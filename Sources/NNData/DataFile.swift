@_spi(Testing) import NNSystem
import NNSystem

/// Reads a data file whole, decompressing it when it is gzip.
enum DataFile {
    /// The file's contents, gunzipped if they start with the gzip magic.
    ///
    /// A gzip file is read through `cache`, the per-user cache of inflated files by default.
    static func contents(_ path: String, cache: InflatedCache? = InflatedCache.fromEnvironment()) throws(DataError) -> [UInt8] {
        do throws(FileError) {
            let source = try ReadableFile(path: path)
            let isGzip = Gzip.isGzip(try source.bytes(at: 0, count: min(2, source.size)))
            // Taken before the bytes are read: a file changed meanwhile is not cached.
            let entry = isGzip ? cache?.entry(for: source) : nil
            // Inflated once, then read from the cache.
            if let cache, let entry, let inflated = cache.contents(of: entry) { return inflated }
            let raw = try source.allBytes()
            guard isGzip else { return raw }
            let inflated = try Gzip.decompress(raw, path: path)
            if let cache, let entry { cache.store([inflated], as: entry, source: source) }
            return inflated
        } catch {
            throw .file(error)
        }
    }
}
