@_spi(Testing) import NNSystem
import NNModel

/// The members of a zip archive as its central directory lists them, read independently of
/// ZIPFoundation (which writes nnmodel's archives), with the bytes of stored members.
package struct ZipDirectory {
    package struct Member: Equatable {
        package var name: String
        /// 0 stored, 8 deflated.
        package var method: Int
        package var flags: Int
        package var crc: UInt32
        package var compressedSize: Int
        package var size: Int
        package var localHeaderOffset: Int
    }

    package var members: [Member]
    package let bytes: [UInt8]

    package struct Damaged: Error, CustomStringConvertible {
        package var description: String
    }

    package init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        func value(_ at: Int, _ width: Int) throws -> Int {
            guard at >= 0, at + width <= bytes.count else { throw Damaged(description: "read past the end at \(at)") }
            var v = 0
            for i in (0..<width).reversed() { v = v << 8 | Int(bytes[at + i]) }
            return v
        }
        var eocd = bytes.count - 22
        while eocd >= 0, try value(eocd, 4) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= 0 else { throw Damaged(description: "no end of central directory") }
        let count = try value(eocd + 10, 2)
        var at = try value(eocd + 16, 4)
        var members: [Member] = []
        for _ in 0..<count {
            guard try value(at, 4) == 0x0201_4B50 else { throw Damaged(description: "no central directory entry at \(at)") }
            let nameLength = try value(at + 28, 2), extra = try value(at + 30, 2), comment = try value(at + 32, 2)
            guard at + 46 + nameLength <= bytes.count else { throw Damaged(description: "name past the end") }
            members.append(Member(
                name: String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self), method: try value(at + 10, 2),
                flags: try value(at + 8, 2), crc: UInt32(try value(at + 16, 4)), compressedSize: try value(at + 20, 4),
                size: try value(at + 24, 4), localHeaderOffset: try value(at + 42, 4)))
            at += 46 + nameLength + extra + comment
        }
        self.members = members
    }

    /// The bytes of a stored member, checked against its CRC-32.
    package func contents(_ name: String) throws -> [UInt8] {
        guard let m = members.first(where: { $0.name == name }) else { throw Damaged(description: "no member \(name)") }
        guard m.method == 0 else { throw Damaged(description: "\(name) is compressed (method \(m.method))") }
        let h = m.localHeaderOffset
        guard h + 30 <= bytes.count else { throw Damaged(description: "local header past the end") }
        let nameLength = Int(bytes[h + 26]) | Int(bytes[h + 27]) << 8
        let extra = Int(bytes[h + 28]) | Int(bytes[h + 29]) << 8
        let start = h + 30 + nameLength + extra
        guard start + m.size <= bytes.count else { throw Damaged(description: "\(name) runs past the end") }
        let data = Array(bytes[start..<(start + m.size)])
        guard CRC32.checksum(data) == m.crc else { throw Damaged(description: "CRC-32 mismatch in \(name)") }
        return data
    }
}
