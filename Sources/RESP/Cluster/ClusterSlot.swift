/// Redis Cluster's key space: 16384 hash slots, a key's slot being CRC16 of the key (or of its
/// `{hash tag}`) modulo 16384, as the cluster specification defines it.
public enum ClusterSlot {
    /// The number of hash slots.
    public static let count = 16384

    /// The slot of `key`: CRC16-XMODEM of its hash tag — the text between the first `{` and the
    /// first `}` after it, when that text is not empty — or else of the whole key, mod 16384.
    public static func of(_ key: String) -> Int {
        of(Array(key.utf8))
    }

    /// The slot of a key given as bytes.
    public static func of(_ key: [UInt8]) -> Int {
        Int(crc16(hashed(key)) & 0x3FFF)
    }

    /// The part of the key that is hashed.
    static func hashed(_ key: [UInt8]) -> ArraySlice<UInt8> {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")),
            let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
            close > open + 1
        else { return key[...] }
        return key[(open + 1)..<close]
    }

    /// CRC16-XMODEM (polynomial 0x1021, initial value 0), the checksum the cluster uses.
    public static func crc16<Bytes: Collection>(_ bytes: Bytes) -> UInt16 where Bytes.Element == UInt8 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    private static let table: [UInt16] = (0..<256).map { index in
        var value = UInt16(index) << 8
        for _ in 0..<8 {
            value = value & 0x8000 != 0 ? (value << 1) ^ 0x1021 : value << 1
        }
        return value
    }
}
