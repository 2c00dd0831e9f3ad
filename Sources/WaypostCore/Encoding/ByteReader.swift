/// Reads what ``ByteWriter`` writes, from untrusted bytes: every read checks bounds and throws
/// ``ByteReader/Failure`` rather than trapping.
public struct ByteReader: Sendable {
    /// Why a read failed.
    public enum Failure: Error, Sendable, Hashable {
        /// The input ended before the value did.
        case truncated
        /// A varint longer than 10 bytes or overflowing 64 bits.
        case malformedVarint
        /// A length larger than the given limit.
        case lengthTooLarge(UInt64)
        /// Text that is not valid UTF-8.
        case invalidUTF8
    }

    private let bytes: [UInt8]
    /// The position of the next byte to read.
    public private(set) var offset: Int
    private let end: Int

    /// Reads `bytes[range]` (all of it by default).
    public init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        self.offset = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    /// How many bytes are left.
    public var remaining: Int { end - offset }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset >= end }

    /// Reads one byte.
    public mutating func readByte() throws(Failure) -> UInt8 {
        guard offset < end else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads `count` raw bytes.
    public mutating func readBytes(_ count: Int) throws(Failure) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw .truncated }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Moves past `count` bytes without copying them.
    public mutating func skip(_ count: Int) throws(Failure) {
        guard count >= 0, count <= remaining else { throw .truncated }
        offset += count
    }

    /// Moves past a varint length and the bytes it counts, without copying them.
    public mutating func skipLengthPrefixed(limit: Int) throws(Failure) {
        let length = try readVarint()
        guard length <= UInt64(limit) else { throw .lengthTooLarge(length) }
        try skip(Int(length))
    }

    /// Reads a big-endian 16-bit integer.
    public mutating func readUInt16() throws(Failure) -> UInt16 {
        UInt16(try readByte()) << 8 | UInt16(try readByte())
    }

    /// Reads a big-endian 32-bit integer.
    public mutating func readUInt32() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(try readByte()) }
        return value
    }

    /// Reads a big-endian 64-bit integer.
    public mutating func readUInt64() throws(Failure) -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(try readByte()) }
        return value
    }

    /// Reads an unsigned LEB128 varint.
    public mutating func readVarint() throws(Failure) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            if shift == 63 && byte > 1 { throw .malformedVarint }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { throw .malformedVarint }
        }
    }

    /// Reads a zigzag LEB128 varint.
    public mutating func readZigzag() throws(Failure) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// Reads a varint length (at most `limit`) and that many bytes.
    public mutating func readLengthPrefixed(limit: Int) throws(Failure) -> [UInt8] {
        let length = try readVarint()
        guard length <= UInt64(limit) else { throw .lengthTooLarge(length) }
        return try readBytes(Int(length))
    }

    /// Reads a length-prefixed UTF-8 string of at most `limit` bytes.
    public mutating func readString(limit: Int) throws(Failure) -> String {
        let length = try readVarint()
        guard length <= UInt64(limit) else { throw .lengthTooLarge(length) }
        let count = Int(length)
        guard count <= remaining else { throw .truncated }
        // Validated in place, without copying the bytes into an array of their own first.
        let start = offset
        let text = bytes.withUnsafeBufferPointer { buffer in
            String(validating: UnsafeBufferPointer(rebasing: buffer[start..<(start + count)]), as: UTF8.self)
        }
        guard let text else { throw .invalidUTF8 }
        offset += count
        return text
    }
}
