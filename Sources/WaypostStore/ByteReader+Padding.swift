import WaypostCore
import WaypostCrypto

extension ByteReader {
    /// Reads what ``ByteWriter/write(paddedString:)`` wrote.
    ///
    /// - Throws: ``StoreError`` `damaged` for a length that is not a bucket, padding that is not `80` and
    ///   zeros, or text that is not UTF-8; ``ByteReader/Failure`` for bytes that end too soon.
    mutating func readPaddedString() throws -> String {
        let padded = try readLengthPrefixed(limit: remaining)
        guard let count = padded.withUnsafeBytes(Padding.contentCount),
            let text = String(validating: padded[..<count], as: UTF8.self)
        else { throw StoreError.damaged("a record's padded text") }
        return text
    }
}
