public import WaypostCore
public import WaypostCrypto

/// Each origin's changes form a hash chain, and the origin signs the chain's head: so a node that
/// receives an origin's changes from anyone (a relay, a USB stick) can check that they are exactly what
/// the origin wrote, in its order, with none removed, added or altered (`Protocol/trust.md` §2).
///
/// - The **leaf** of a change is BLAKE2b-256 of its fields, with its value replaced by a digest keyed
///   with the **record key** of (origin, record). Erasing a value later keeps the digest, so the chain
///   stays verifiable; destroying the record key keeps the digest from being guessed from a list of
///   likely values.
/// - The **head** after change n is BLAKE2b-256(domain, head n-1, leaf n), from 32 zero bytes.
/// - The origin signs (domain, origin, n, head n) with its Ed25519 key.
public enum ChangeChain {
    /// The head before an origin's first change.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The size of a record key.
    public static let recordKeyLength = 32

    private static let leafDomain = Array("waypost/change/v1".utf8) + [0]
    private static let headDomain = Array("waypost/chain/v1".utf8) + [0]
    private static let signedDomain = Array("waypost/head/v1".utf8) + [0]
    private static let commitmentDomain = Array("waypost/record-key/v1".utf8) + [0]

    /// The digest of a value under its record key: BLAKE2b-256 keyed with the record key.
    public static func valueDigest(_ value: String, recordKey: [UInt8]) -> [UInt8] {
        var value = value
        return value.withUTF8 { utf8 in Blake2b.hash(UnsafeRawBufferPointer(utf8), outputLength: 32, key: recordKey) }
    }

    /// The commitment to a record key that the change introducing it includes in its leaf.
    public static func keyCommitment(_ recordKey: [UInt8]) -> [UInt8] {
        Blake2b.hash(commitmentDomain + recordKey)
    }

    /// The leaf of a change whose value is present.
    ///
    /// - Parameter introducesKey: whether this change is its origin's first to the record, and so
    ///   carries (and commits to) the record key.
    public static func leaf(of change: Change, recordKey: [UInt8], introducesKey: Bool) -> [UInt8] {
        leaf(
            of: change, valueDigest: valueDigest(change.operation.argument, recordKey: recordKey),
            keyCommitment: introducesKey ? keyCommitment(recordKey) : nil)
    }

    /// The leaf of a change from its value's digest (for a change whose value has been erased).
    public static func leaf(of change: Change, valueDigest: [UInt8], keyCommitment: [UInt8]?) -> [UInt8] {
        // Laid out on the stack rather than in a growing array: this runs once per change verified.
        let supersedes = change.operation.supersedes
        let capacity = 160 + change.field.utf8.count + supersedes.count * 42
        return withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer in
            var writer = StackWriter(buffer)
            writer.write(leafDomain)
            writer.write(change.dot.origin.bytes)
            writer.write(bigEndian: change.dot.sequence)
            writer.write(bigEndian: change.timestamp.rawValue)
            writer.write(byte: change.collection.rawValue)
            writer.write(change.record.bytes)
            var field = change.field
            field.withUTF8 { utf8 in
                writer.write(varint: UInt64(utf8.count))
                writer.write(UnsafeRawBufferPointer(utf8))
            }
            writer.write(byte: operationCode(change.operation))
            writer.write(varint: UInt64(supersedes.count))
            for dot in supersedes {
                writer.write(dot.origin.bytes)
                writer.write(bigEndian: dot.sequence)
            }
            if let keyCommitment {
                writer.write(byte: 1)
                writer.write(keyCommitment)
            } else {
                writer.write(byte: 0)
            }
            writer.write(valueDigest)
            return Blake2b.hash(UnsafeRawBufferPointer(rebasing: buffer[..<writer.count]))
        }
    }

    /// Writes the encodings of ``ByteWriter`` into a buffer sized in advance.
    private struct StackWriter {
        let buffer: UnsafeMutableRawBufferPointer
        private(set) var count = 0

        init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

        mutating func write(byte: UInt8) {
            buffer[count] = byte
            count += 1
        }

        mutating func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes { write($0) } }

        mutating func write(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            buffer.baseAddress!.advanced(by: count).copyMemory(from: base, byteCount: bytes.count)
            count += bytes.count
        }

        mutating func write(bigEndian value: UInt64) {
            withUnsafeBytes(of: value.bigEndian) { write($0) }
        }

        mutating func write(varint value: UInt64) {
            var remaining = value
            while remaining >= 0x80 {
                write(byte: UInt8(truncatingIfNeeded: remaining) | 0x80)
                remaining >>= 7
            }
            write(byte: UInt8(remaining))
        }
    }

    /// The head after a change whose leaf is `leaf`.
    public static func head(after previous: [UInt8], leaf: [UInt8]) -> [UInt8] {
        // Laid out on the stack: this runs once per change verified.
        let count = headDomain.count + previous.count + leaf.count
        return withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { buffer in
            var offset = 0
            func append(_ part: [UInt8]) {
                part.withUnsafeBytes { buffer.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                offset += part.count
            }
            append(headDomain)
            append(previous)
            append(leaf)
            return Blake2b.hash(UnsafeRawBufferPointer(buffer))
        }
    }

    /// The bytes an origin signs to vouch for its chain up to `dot`.
    public static func signedMessage(at dot: Dot, head: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: 96)
        writer.write(bytes: signedDomain)
        writer.write(bytes: dot.origin.bytes)
        writer.write(bigEndian: dot.sequence)
        writer.write(bytes: head)
        return writer.bytes
    }

    /// Signs the head at `dot` with the origin's key.
    public static func sign(at dot: Dot, head: [UInt8], with keys: SigningKeyPair) -> [UInt8] {
        keys.sign(signedMessage(at: dot, head: head))
    }

    /// Whether `signature` is the origin's over the head at `dot`.
    public static func isValid(_ signature: [UInt8], at dot: Dot, head: [UInt8]) -> Bool {
        SignatureVerifier.isValid(signature, of: signedMessage(at: dot, head: head), by: dot.origin)
    }

    /// The operation codes shared with the bundle format (`Protocol/bundle.md` §4).
    public static func operationCode(_ operation: WaypostCore.Operation) -> UInt8 {
        switch operation {
        case .assign: 1
        case .insert: 2
        case .remove: 3
        case .increment: 4
        case .append: 5
        }
    }
}
