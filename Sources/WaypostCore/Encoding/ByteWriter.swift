/// Appends the primitive encodings the bundle format and the replica use: big-endian fixed-width
/// integers, LEB128 varints, length-prefixed byte strings. `Protocol/bundle.md` specifies each.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer, with room reserved for `capacity` bytes.
    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends one byte.
    public mutating func write(_ byte: UInt8) { bytes.append(byte) }

    /// Appends raw bytes.
    public mutating func write(bytes other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// Appends a big-endian 16-bit integer.
    public mutating func write(bigEndian value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// Appends a big-endian 32-bit integer.
    public mutating func write(bigEndian value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// Appends a big-endian 64-bit integer.
    public mutating func write(bigEndian value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Appends an unsigned LEB128 varint (1 to 10 bytes).
    public mutating func write(varint value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Appends a signed integer as a zigzag LEB128 varint.
    public mutating func write(zigzag value: Int64) {
        write(varint: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends a varint length and then the bytes.
    public mutating func write(lengthPrefixed other: some Collection<UInt8>) {
        write(varint: UInt64(other.count))
        bytes.append(contentsOf: other)
    }

    /// Appends a string as its varint UTF-8 length and its UTF-8 bytes.
    public mutating func write(string: String) {
        write(varint: UInt64(string.utf8.count))
        bytes.append(contentsOf: string.utf8)
    }
}
