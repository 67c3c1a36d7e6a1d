import NNSchema
import NNSystem

/// Reads and checks the central directory of a zip archive before ZIPFoundation touches it.
///
/// ZIPFoundation 0.9 adds the offsets and sizes a central directory declares (local header
/// offset + header size + name and extra lengths + data size, to find a data descriptor) in
/// UInt64 without overflow checks, so an entry declaring a ZIP64 size near 2^64 trapped the
/// process (see Fixtures/fuzz/regressions/keras/). An archive is refused here unless its central
/// directory lies inside the file and every offset and size its entries declare is below 2^62, so
/// that no such sum can overflow; the member caps of `KerasReader.member` then judge the sizes
/// themselves. Two members with the same name (which Python's zipfile resolves to the last one,
/// ZIPFoundation to the first) and encrypted members are refused too.
///
/// Only the end of the file and the directory are read (with `pread`, never mapped).
package enum KerasArchiveCheck {
    /// One member as the central directory declares it.
    package struct Entry {
        package var name: String
        package var encrypted: Bool
    }

    /// The most members a `.keras` archive may list (Keras writes three).
    static let maximumEntries = 10_000
    /// The largest central directory read (Keras's is a few hundred bytes).
    static let maximumDirectoryBytes = 16 << 20

    /// The members of the archive, or the first problem found.
    package static func entries(of file: ReadableFile) -> Result<[Entry], Problem> {
        let n = file.size
        // The end-of-central-directory record, searched from the end as ZIPFoundation does.
        let tailStart = max(0, n - 65_557)
        guard let tail = try? file.bytes(at: tailStart, count: n - tailStart) else {
            return .failure(Problem("the end of the file cannot be read"))
        }
        func value(_ b: [UInt8], _ o: Int, _ width: Int) -> UInt64? {
            guard o >= 0, o <= b.count - width else { return nil }
            var v: UInt64 = 0
            for i in (0..<width).reversed() { v = v << 8 | UInt64(b[o + i]) }
            return v
        }
        var eocd = tail.count - 22
        while eocd >= 0, value(tail, eocd, 4) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= 0, let entries16 = value(tail, eocd + 10, 2), let size32 = value(tail, eocd + 12, 4),
              let offset32 = value(tail, eocd + 16, 4) else {
            return .failure(Problem("no end of central directory record (truncated file?)"))
        }
        let fileSize = UInt64(n), sane: UInt64 = 1 << 62
        var directory = (offset: offset32, size: size32, entries: entries16)
        if eocd >= 20, value(tail, eocd - 20, 4) == 0x0706_4B50 {  // ZIP64 locator
            guard let recordAt = value(tail, eocd - 12, 8), recordAt < fileSize,
                  let record = try? file.bytes(at: Int(recordAt), count: min(56, n - Int(recordAt))),
                  value(record, 0, 4) == 0x0606_4B50, let entries = value(record, 32, 8), let size = value(record, 40, 8),
                  let offset = value(record, 48, 8) else {
                return .failure(Problem("damaged ZIP64 end of central directory"))
            }
            directory = (offset, size, entries)
        }
        guard directory.offset <= fileSize, directory.size <= fileSize - directory.offset,
              directory.entries <= directory.size / 46 else {
            return .failure(Problem("the central directory (\(directory.entries) entries, \(directory.size) bytes at offset \(directory.offset)) does not fit in the \(n)-byte file"))
        }
        guard directory.entries <= UInt64(maximumEntries), directory.size <= UInt64(maximumDirectoryBytes) else {
            return .failure(Problem("the central directory lists \(directory.entries) members in \(directory.size) bytes, more than a .keras archive holds (at most \(maximumEntries) members, \(maximumDirectoryBytes) bytes)"))
        }
        guard let b = try? file.bytes(at: Int(directory.offset), count: Int(directory.size)) else {
            return .failure(Problem("the central directory cannot be read"))
        }
        var at = 0
        var found: [Entry] = []
        var names: Set<String> = []
        for entry in 0..<Int(directory.entries) {
            guard value(b, at, 4) == 0x0201_4B50, let flags = value(b, at + 8, 2), let compressed = value(b, at + 20, 4),
                  let uncompressed = value(b, at + 24, 4), let nameLength = value(b, at + 28, 2),
                  let extraLength = value(b, at + 30, 2), let commentLength = value(b, at + 32, 2),
                  let local = value(b, at + 42, 4) else {
                return .failure(Problem("central directory entry \(entry) is damaged"))
            }
            let nameEnd = at + 46 + Int(nameLength)
            let extraEnd = nameEnd + Int(extraLength)
            guard extraEnd <= b.count else { return .failure(Problem("central directory entry \(entry) runs past its end")) }
            let name = String(decoding: b[(at + 46)..<nameEnd], as: UTF8.self)
            var sizes = [compressed, local, uncompressed]
            var extra = nameEnd
            while extra + 4 <= extraEnd, let id = value(b, extra, 2), let length = value(b, extra + 2, 2) {
                if id == 0x0001 {  // ZIP64 extended information: sizes and offset (order varies with what is deferred)
                    var field = extra + 4
                    while field + 8 <= min(extra + 4 + Int(length), extraEnd), let v = value(b, field, 8) {
                        sizes.append(v)
                        field += 8
                    }
                }
                extra += 4 + Int(length)
            }
            if let size = sizes.first(where: { $0 >= sane }) {
                return .failure(Problem("member '\(Excerpt.quote(name))' declares an offset or size of \(size) bytes"))
            }
            guard names.insert(name).inserted else {
                return .failure(Problem("member '\(Excerpt.quote(name))' appears twice (readers disagree on which one counts)"))
            }
            found.append(Entry(name: name, encrypted: flags & 0x0001 != 0))
            at = extraEnd + Int(commentLength)
        }
        return .success(found)
    }

    /// Why an archive is refused.
    package struct Problem: Error {
        package var text: String
        init(_ text: String) { self.text = text }
    }
}
