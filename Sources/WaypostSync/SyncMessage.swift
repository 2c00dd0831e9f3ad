public import WaypostCore

/// A message on an open sync channel, after the handshake (`Protocol/sync.md` §4). Each is one encrypted
/// frame; its first plaintext byte is its type.
public enum SyncMessage: Sendable, Hashable {
    /// The responder accepts the initiator: it is trusted. Sent once, first.
    case accept
    /// The sender refuses the other side and closes the connection.
    case refuse(Refusal)
    /// Everything the sender has seen, per origin. Each side sends it once, first after `accept`.
    case versions(VersionVector)
    /// A numbered batch of changes: a bundle's frames (`Protocol/bundle.md`), unsealed, since the channel is
    /// encrypted already.
    case batch(number: UInt64, frames: [UInt8])
    /// The receiver applied (and committed) batch `number`: `applied` new changes; its versions are now
    /// `versions`.
    case acknowledge(number: UInt64, applied: UInt64, versions: VersionVector)
    /// The sender has nothing more to send, and the other side acknowledged every batch.
    case caughtUp
    /// Nothing to say; sent when idle so the connection is not dropped.
    case keepalive

    /// Why a node refuses a connection.
    public struct Refusal: Sendable, Hashable {
        /// A reason code.
        public let code: Code
        /// One line for the other node's log; no personal data.
        public let message: String

        /// Reason codes.
        public enum Code: UInt8, Sendable, Hashable {
            /// The node does not trust the other one.
            case untrusted = 1
            /// The node has too many connections.
            case busy = 2
            /// The other side broke the protocol.
            case malformed = 3
            /// A batch was refused: it held an untrusted or forged change.
            case batchRefused = 4
            /// Any other reason.
            case other = 255
        }

        /// Makes a refusal, cutting `message` after its last whole character that ends within
        /// ``SyncMessage/maximumReasonBytes`` bytes of UTF-8.
        public init(_ code: Code, _ message: String) {
            self.code = code
            // Cut between Unicode scalars: a prefix of the UTF-8 bytes that ends inside a character is not
            // a string (`String(_: Substring.UTF8View)` gives nil), and the reason would be lost entirely.
            var bytes = 0
            let kept = message.unicodeScalars.prefix { scalar in
                bytes += UTF8.width(scalar)
                return bytes <= SyncMessage.maximumReasonBytes
            }
            self.message = String(kept)
        }
    }

    /// The longest reason text, in bytes.
    public static let maximumReasonBytes = 256

    enum Tag: UInt8 {
        case accept = 0x01
        case refuse = 0x02
        case versions = 0x10
        case batch = 0x11
        case acknowledge = 0x12
        case caughtUp = 0x13
        case keepalive = 0x14
    }

    /// The message's bytes.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        switch self {
        case .accept: writer.write(Tag.accept.rawValue)
        case .refuse(let refusal):
            writer.write(Tag.refuse.rawValue)
            writer.write(refusal.code.rawValue)
            writer.write(bytes: refusal.message.utf8)
        case .versions(let versions):
            writer.write(Tag.versions.rawValue)
            Self.write(versions, to: &writer)
        case .batch(let number, let frames):
            writer = ByteWriter(capacity: frames.count + 12)
            writer.write(Tag.batch.rawValue)
            writer.write(varint: number)
            writer.write(bytes: frames)
        case .acknowledge(let number, let applied, let versions):
            writer.write(Tag.acknowledge.rawValue)
            writer.write(varint: number)
            writer.write(varint: applied)
            Self.write(versions, to: &writer)
        case .caughtUp: writer.write(Tag.caughtUp.rawValue)
        case .keepalive: writer.write(Tag.keepalive.rawValue)
        }
        return writer.bytes
    }

    /// Reads a message.
    ///
    /// - Throws: ``SyncError`` `malformed` for an unknown type, a short or overlong body, a number past
    ///   ``maximumNumber``, or a version vector that is not in ascending order of node ids, has an entry
    ///   past ``WaypostCore/Dot/maximumSequence`` or entries that add up past it.
    public init(decoding bytes: [UInt8]) throws(SyncError) {
        var reader = ByteReader(bytes)
        do {
            guard let tag = Tag(rawValue: try reader.readByte()) else {
                throw SyncError(.malformed, "the peer sent a message of unknown type \(bytes[0])")
            }
            switch tag {
            case .accept: self = .accept
            case .refuse:
                let code = Refusal.Code(rawValue: try reader.readByte()) ?? .other
                let text = try reader.readBytes(min(reader.remaining, Self.maximumReasonBytes))
                self = .refuse(Refusal(code, String(decoding: text, as: UTF8.self)))
            case .versions: self = .versions(try Self.readVersions(&reader))
            case .batch:
                let number = try Self.readNumber(&reader, "a batch number")
                self = .batch(number: number, frames: try reader.readBytes(reader.remaining))
            case .acknowledge:
                let number = try Self.readNumber(&reader, "a batch number")
                let applied = try Self.readNumber(&reader, "a count of changes applied")
                self = .acknowledge(number: number, applied: applied, versions: try Self.readVersions(&reader))
            case .caughtUp: self = .caughtUp
            case .keepalive: self = .keepalive
            }
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(.malformed, "the peer sent a message that ends too early")
        }
        guard reader.isAtEnd else { throw SyncError(.malformed, "the peer sent a message with bytes after its end") }
    }

    private static func write(_ versions: VersionVector, to writer: inout ByteWriter) {
        let origins = versions.origins
        writer.write(varint: UInt64(origins.count))
        for origin in origins {
            writer.write(bytes: origin.bytes)
            writer.write(varint: versions[origin])
        }
    }

    /// The largest number a channel message carries: 2^63 - 1, as for sequence numbers
    /// (`Protocol/sync.md` §4).
    public static let maximumNumber = Dot.maximumSequence

    /// Reads a varint that is at most ``maximumNumber``.
    private static func readNumber(_ reader: inout ByteReader, _ what: String) throws -> UInt64 {
        let number = try reader.readVarint()
        guard number <= maximumNumber else {
            throw SyncError(.malformed, "the peer sent \(what) of \(number), past the largest allowed (2^63 - 1)")
        }
        return number
    }

    private static func readVersions(_ reader: inout ByteReader) throws -> VersionVector {
        let count = try reader.readVarint()
        guard count <= UInt64(reader.remaining / (NodeID.byteCount + 1)) else {
            throw SyncError(.malformed, "the peer sent a version vector longer than its message")
        }
        var entries: [NodeID: UInt64] = [:]
        var previous: NodeID? = nil
        for _ in 0..<count {
            let node = NodeID(bytes: try reader.readBytes(NodeID.byteCount))
            if let previous, !(previous < node) {
                throw SyncError(.malformed, "the peer sent a version vector out of order or with an origin twice")
            }
            entries[node] = try reader.readVarint()
            previous = node
        }
        do { return try VersionVector(checking: entries) } catch {
            throw SyncError(.malformed, "the peer sent a version vector out of range: \(error.message)")
        }
    }
}
