import CSodium

/// Pads plaintexts before they are sealed at rest, so that a ciphertext's length tells only which bucket
/// its plaintext falls in (`Protocol/replica.md` §9.5).
///
/// ISO/IEC 7816-4 padding (`sodium_pad`, `sodium_unpad`, https://doc.libsodium.org/padding): the content,
/// the byte `80`, then zeros up to the bucket. Buckets are 32 bytes, then every power of two above: a
/// content of `n` bytes takes the smallest of 32, 64, 128, … that is at least `n + 1`. 32 bytes hold every
/// coded value of the schema (choices, dates, codes, booleans, numbers) and most names whole; above it,
/// doubling keeps the share of padding under a half while a length says at most its power of two.
package enum Padding {
    /// The smallest padded length.
    package static let minimumBucket = 32

    /// The padded length for a content of `count` bytes.
    package static func bucket(for count: Int) -> Int {
        precondition(count >= 0, "a content cannot have \(count) bytes")
        var bucket = minimumBucket
        while bucket < count + 1 { bucket *= 2 }
        return bucket
    }

    /// Whether `count` is a length ``padded(_:)`` makes.
    package static func isBucket(_ count: Int) -> Bool {
        count >= minimumBucket && count & (count - 1) == 0
    }

    /// Writes `content` (after `leading`, if given: a format byte) padded to its bucket by `sodium_pad`
    /// into a new array.
    package static func padded(_ content: UnsafeRawBufferPointer, after leading: UInt8? = nil) -> [UInt8] {
        let prefix = leading == nil ? 0 : 1
        let count = prefix + content.count
        let bucket = bucket(for: count)
        Sodium.readyOrStop()
        return [UInt8](unsafeUninitializedCapacity: bucket) { buffer, initialized in
            let base = buffer.baseAddress!
            if let leading { base[0] = leading }
            if let source = content.baseAddress, content.count > 0 {
                UnsafeMutableRawPointer(base + prefix).copyMemory(from: source, byteCount: content.count)
            }
            var length = 0
            // The block size is the bucket itself, so that one block of padding fills it exactly.
            let status = sodium_pad(&length, base, count, bucket, bucket)
            precondition(status == 0 && length == bucket, "sodium_pad refused a buffer sized for it")
            initialized = bucket
        }
    }

    /// ``padded(_:)`` for an array.
    package static func padded(_ content: [UInt8]) -> [UInt8] {
        content.withUnsafeBytes { padded($0) }
    }

    /// The length of the content in what ``padded(_:)`` made, or nil if `padded` is not a bucket long or
    /// its padding is not `80` followed by zeros (`sodium_unpad`, which checks in constant time).
    package static func contentCount(_ padded: UnsafeRawBufferPointer) -> Int? {
        guard isBucket(padded.count), let base = padded.baseAddress else { return nil }
        Sodium.readyOrStop()
        var length = 0
        guard sodium_unpad(&length, base.assumingMemoryBound(to: UInt8.self), padded.count, padded.count) == 0,
            bucket(for: length) == padded.count
        else { return nil }
        return length
    }
}
