/// Checks the directory of a zip archive before ZIPFoundation reads it.
///
/// ZIPFoundation 0.9 adds the offsets and sizes a central directory declares (local header
/// offset + header size + name and extra lengths + data size, to find a data descriptor) in
/// UInt64 without overflow checks, so an entry declaring a ZIP64 size near 2^64 trapped the
/// process (see Fixtures/fuzz/regressions/keras/). An archive is refused here unless its
/// central directory lies inside the file and every offset and size its entries declare is
/// below 2^62, so that no such sum can overflow; the member caps of `KerasReader.member` then
/// judge the sizes themselves.
enum KerasArchiveCheck {
    /// The first problem found in the zip archive `b`, or nil.
    static func problem(_ b: UnsafeRawBufferPointer) -> String? {
        let n = b.count
        func value(_ o: Int, _ width: Int) -> UInt64? {
            guard o >= 0, o <= n - width else { return nil }
            var v: UInt64 = 0
            for i in (0..<width).reversed() { v = v << 8 | UInt64(b[o + i]) }
            return v
        }
        // The end-of-central-directory record, searched from the end as ZIPFoundation does.
        var eocd = n - 22
        while eocd >= max(0, n - 65_557), value(eocd, 4) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= 0, eocd >= n - 65_557, let entries16 = value(eocd + 10, 2), let size32 = value(eocd + 12, 4),
              let offset32 = value(eocd + 16, 4) else {
            return "no end of central directory record (truncated file?)"
        }
        let fileSize = UInt64(n), sane: UInt64 = 1 << 62
        var directories = [(offset: offset32, size: size32, entries: entries16)]
        if eocd >= 20, value(eocd - 20, 4) == 0x0706_4B50 {  // ZIP64 locator
            guard let record = value(eocd - 12, 8), record < fileSize, value(Int(record), 4) == 0x0606_4B50,
                  let entries = value(Int(record) + 32, 8), let size = value(Int(record) + 40, 8),
                  let offset = value(Int(record) + 48, 8) else {
                return "damaged ZIP64 end of central directory"
            }
            directories.append((offset, size, entries))
        }
        for (index, directory) in directories.enumerated() {
            let deferred = directory.offset == 0xFFFF_FFFF || directory.size == 0xFFFF_FFFF || directory.entries == 0xFFFF
            if index == 0, deferred, directories.count > 1 { continue }  // the ZIP64 record holds the values
            guard directory.offset <= fileSize, directory.size <= fileSize - directory.offset,
                  directory.entries <= directory.size / 46 else {
                return "the central directory (\(directory.entries) entries, \(directory.size) bytes at offset \(directory.offset)) does not fit in the \(n)-byte file"
            }
            var at = Int(directory.offset)
            for entry in 0..<Int(directory.entries) {
                guard value(at, 4) == 0x0201_4B50, let compressed = value(at + 20, 4),
                      let uncompressed = value(at + 24, 4), let nameLength = value(at + 28, 2),
                      let extraLength = value(at + 30, 2), let commentLength = value(at + 32, 2),
                      let local = value(at + 42, 4) else {
                    return "central directory entry \(entry) is damaged"
                }
                var sizes = [compressed, local, uncompressed]
                var extra = at + 46 + Int(nameLength)
                let extraEnd = extra + Int(extraLength)
                guard extraEnd <= n else { return "central directory entry \(entry) runs past the end of the file" }
                while extra + 4 <= extraEnd, let id = value(extra, 2), let length = value(extra + 2, 2) {
                    if id == 0x0001 {  // ZIP64 extended information: sizes and offset (order varies with what is deferred)
                        var field = extra + 4
                        while field + 8 <= min(extra + 4 + Int(length), extraEnd), let v = value(field, 8) {
                            sizes.append(v)
                            field += 8
                        }
                    }
                    extra += 4 + Int(length)
                }
                if let size = sizes.first(where: { $0 >= sane }) {
                    let name = String(decoding: b[(at + 46)..<min(at + 46 + Int(nameLength), n)], as: UTF8.self)
                    return "member '\(name)' declares an offset or size of \(size) bytes"
                }
                at = extraEnd + Int(commentLength)
            }
        }
        return nil
    }
}
