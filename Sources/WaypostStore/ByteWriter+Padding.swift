import WaypostCore
import WaypostCrypto

extension ByteWriter {
    /// Appends `text` padded to its bucket (`Protocol/replica.md` §9.5): a `varint` length (the bucket's)
    /// and the UTF-8, `80` and zeros.
    mutating func write(paddedString text: String) {
        var text = text
        let padded = text.withUTF8 { Padding.padded(UnsafeRawBufferPointer($0)) }
        write(varint: UInt64(padded.count))
        write(bytes: padded)
    }
}
