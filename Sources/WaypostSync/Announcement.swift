public import WaypostCore
import WaypostCrypto

/// What a node announces on the local network when `serve --discover` is on (`Protocol/sync.md` §8):
/// the port it listens on, and a tag that only nodes that already know its id can recognise.
///
/// The tag is BLAKE2b-128 of the node id, keyed by a salt drawn anew for every announcement. A host that
/// only listens learns that a Waypost node is at the sender's address and port, and not its id, its name,
/// or whether two announcements come from the same node. (Whoever dials that address does learn the
/// node's id: the responder proves it in the handshake; `Protocol/sync.md` §8.5.) Discovery only finds
/// candidates; the handshake still proves who is there.
public struct Announcement: Sendable, Hashable {
    /// The TCP port the node listens on.
    public let port: UInt16
    /// The random key of ``tag``.
    public let salt: [UInt8]
    /// BLAKE2b-128(key: salt, node id).
    public let tag: [UInt8]

    /// The eight bytes an announcement starts with.
    public static let magic: [UInt8] = Array("WAYPOSTD".utf8)
    /// The announcement format version.
    public static let version: UInt16 = 1
    /// The bytes of an announcement.
    public static let byteCount = 8 + 2 + 2 + 16 + 16

    /// The multicast group and port announcements go to unless told otherwise.
    public static let defaultGroup = PeerAddress(host: "239.255.78.50", port: 7851)

    /// An announcement for `node` listening on `port`, with a fresh salt.
    public init(node: NodeID, port: UInt16) {
        self.init(node: node, port: port, salt: Random.bytes(16))
    }

    /// An announcement with a given salt: for test vectors.
    public init(node: NodeID, port: UInt16, salt: [UInt8]) {
        self.port = port
        self.salt = salt
        self.tag = Self.tag(of: node, salt: salt)
    }

    /// Reads an announcement.
    ///
    /// - Throws: ``SyncError`` `malformed` for anything else (a datagram of another program, say), or
    ///   `unsupportedVersion`.
    public init(decoding bytes: [UInt8]) throws(SyncError) {
        guard bytes.count == Self.byteCount, Array(bytes[0..<8]) == Self.magic else {
            throw SyncError(.malformed, "not a Waypost announcement")
        }
        let version = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
        guard version == Self.version else { throw SyncError(.unsupportedVersion, "an announcement of version \(version)") }
        port = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        salt = Array(bytes[12..<28])
        tag = Array(bytes[28..<44])
    }

    /// The announcement's bytes.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: Self.byteCount)
        writer.write(bytes: Self.magic)
        writer.write(bigEndian: Self.version)
        writer.write(bigEndian: port)
        writer.write(bytes: salt)
        writer.write(bytes: tag)
        return writer.bytes
    }

    /// Which of `candidates` (the nodes this one knows) made the announcement, if any.
    public func announcer(among candidates: some Sequence<NodeID>) -> NodeID? {
        candidates.first { Self.tag(of: $0, salt: salt) == tag }
    }

    private static func tag(of node: NodeID, salt: [UInt8]) -> [UInt8] {
        Blake2b.hash(node.bytes, outputLength: 16, key: salt)
    }
}
