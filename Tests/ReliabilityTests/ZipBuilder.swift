@_spi(Testing) import NNSystem
import NNModel

/// Builds small stored (uncompressed) zip archives by hand, with the sizes the central directory
/// declares under the test's control, for `.keras` files that lie about their members.
struct ZipBuilder {
    struct Member {
        var name: String
        var data: [UInt8]
        /// What the central directory declares (the real sizes when nil); above 0xFFFFFFFE a
        /// ZIP64 extra field carries them.
        var declaredUncompressed: UInt64? = nil
        var declaredCompressed: UInt64? = nil
        /// The compression method the headers name (0 stored, 8 deflate); the data is written as given.
        var method = 0
        /// The general-purpose flags the central directory declares (bit 0: encrypted).
        var flags = 0
    }

    var members: [Member] = []

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: UInt64) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for m in members {
            let offset = UInt64(out.count)
            let crc = UInt64(CRC32.checksum(m.data))
            let name = Array(m.name.utf8)
            let real = UInt64(m.data.count)
            // Local header: the real sizes.
            out += [0x50, 0x4B, 0x03, 0x04] + Self.le16(20) + Self.le16(0) + Self.le16(m.method) + Self.le16(0) + Self.le16(0x21)
            out += Self.le32(crc) + Self.le32(real) + Self.le32(real) + Self.le16(name.count) + Self.le16(0) + name + m.data
            let uncompressed = m.declaredUncompressed ?? real, compressed = m.declaredCompressed ?? real
            let zip64 = uncompressed >= 0xFFFF_FFFF || compressed >= 0xFFFF_FFFF
            let extra: [UInt8] = zip64 ? Self.le16(1) + Self.le16(16) + Self.le64(uncompressed) + Self.le64(compressed) : []
            central += [0x50, 0x4B, 0x01, 0x02] + Self.le16(zip64 ? 45 : 20) + Self.le16(zip64 ? 45 : 20) + Self.le16(m.flags)
            central += Self.le16(m.method) + Self.le16(0) + Self.le16(0x21) + Self.le32(crc)
            central += Self.le32(zip64 ? 0xFFFF_FFFF : compressed) + Self.le32(zip64 ? 0xFFFF_FFFF : uncompressed)
            central += Self.le16(name.count) + Self.le16(extra.count) + Self.le16(0) + Self.le16(0) + Self.le16(0)
            central += Self.le32(0) + Self.le32(offset) + name + extra
        }
        let centralOffset = UInt64(out.count)
        out += central
        out += [0x50, 0x4B, 0x05, 0x06] + Self.le16(0) + Self.le16(0) + Self.le16(members.count) + Self.le16(members.count)
        out += Self.le32(UInt64(central.count)) + Self.le32(centralOffset) + Self.le16(0)
        return out
    }
}
