public import WaypostCore
public import WaypostCrypto

/// The three messages that open a sync connection (`Protocol/sync.md` §3): mutual authentication with the
/// nodes' Ed25519 identities and fresh X25519 keys for this connection alone.
///
/// 1. initiator → responder, in clear: `WAYPOSTS`, version, the initiator's ephemeral key.
/// 2. responder → initiator: `WAYPOSTS`, version, the responder's ephemeral key, then sealed under the new
///    responder-to-initiator key (nonce 0): its node id and its signature over both ephemeral keys and that id.
/// 3. initiator → responder, sealed under the initiator-to-responder key (nonce 0): its node id and its
///    signature over both ephemeral keys and both ids.
///
/// A man in the middle cannot sign for either node, and a recorded handshake cannot be replayed: the
/// other side's ephemeral key is new each time. The initiator's id is sent only once the responder has
/// proved its own, and only encrypted, so a passive observer learns neither id.
public enum Handshake {
    /// The eight bytes the first two messages start with.
    public static let magic: [UInt8] = Array("WAYPOSTS".utf8)
    /// The sync protocol version this code speaks.
    public static let version: UInt16 = 1
    /// The bytes of the first message.
    public static let helloByteCount = 8 + 2 + EphemeralKeyPair.publicKeyByteCount
    /// The bytes of the sealed proof in messages 2 and 3: a node id and a signature, and the tag.
    static let proofByteCount = NodeID.byteCount + SigningKeyPair.signatureByteCount + ChannelCipher.overhead
    /// The bytes of the second message.
    public static let replyByteCount = helloByteCount + proofByteCount
    /// The bytes of the third message.
    public static let confirmationByteCount = proofByteCount

    /// What a responder sends, in place of a reply, to an initiator of another version before closing: the
    /// magic and its own version, so the initiator can say which side to update.
    public static var versionNotice: [UInt8] {
        var writer = ByteWriter()
        writer.write(bytes: magic)
        writer.write(bigEndian: version)
        return writer.bytes
    }

    static func newEphemeral() throws(SyncError) -> EphemeralKeyPair {
        do { return try EphemeralKeyPair.generate() } catch {
            throw SyncError(.connection, "cannot make a connection key: \(error.message)")
        }
    }

    static func responderStatement(initiator: [UInt8], responder: [UInt8], id: NodeID) -> [UInt8] {
        Array("waypost-sync-v1/responder".utf8) + initiator + responder + id.bytes
    }

    static func initiatorStatement(initiator: [UInt8], responder: [UInt8], id: NodeID, responderID: NodeID) -> [UInt8] {
        Array("waypost-sync-v1/initiator".utf8) + initiator + responder + id.bytes + responderID.bytes
    }

    /// Reads magic, version and ephemeral key from the start of message 1 or 2.
    static func readOpening(_ bytes: [UInt8], from side: String) throws(SyncError) -> [UInt8] {
        guard bytes.count >= 10, Array(bytes[0..<8]) == magic else {
            throw SyncError(.malformed, "the \(side) does not speak the Waypost sync protocol")
        }
        let theirs = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
        guard theirs == version else {
            let which = theirs > version ? "this node" : "the \(side)"
            throw SyncError(
                .unsupportedVersion, "the \(side) speaks sync protocol version \(theirs) and this node \(version); update Waypost on \(which)")
        }
        guard bytes.count >= helloByteCount else { throw SyncError(.malformed, "the \(side)'s handshake is cut short") }
        return Array(bytes[10..<helloByteCount])
    }

    /// Seals a node id and its signature as the proof of message 2 or 3.
    static func proof(by identity: SigningKeyPair, over statement: [UInt8], with cipher: inout ChannelCipher) -> [UInt8] {
        cipher.seal(identity.publicKey.bytes + identity.sign(statement))
    }

    /// Opens the proof of message 2 or 3 and checks its signature.
    static func openProof(
        _ sealed: [UInt8], with cipher: inout ChannelCipher, side: String, statement: (NodeID) -> [UInt8]
    ) throws(SyncError) -> NodeID {
        guard sealed.count == proofByteCount else { throw SyncError(.malformed, "the \(side)'s handshake has the wrong length") }
        let plain: [UInt8]
        do { plain = try cipher.open(sealed) } catch {
            throw SyncError(.untrusted, "the \(side)'s handshake did not decrypt: it was altered in transit")
        }
        let id = NodeID(bytes: Array(plain[0..<NodeID.byteCount]))
        guard SignatureVerifier.isValid(Array(plain[NodeID.byteCount...]), of: statement(id), by: id) else {
            throw SyncError(.untrusted, "the \(side) did not prove it holds the key of the node it claims to be")
        }
        return id
    }
}

/// What a finished handshake gives: who the other side is, and the channel to it.
public struct HandshakeResult: Sendable {
    /// The other node, proven by its signature (whether it is trusted is for the caller to decide).
    public let peer: NodeID
    /// Seals what this side sends (from nonce 1).
    public var sending: ChannelCipher
    /// Opens what this side receives (from nonce 1).
    public var receiving: ChannelCipher
}

/// The side that dials.
public struct InitiatorHandshake: Sendable {
    private let identity: SigningKeyPair
    private let ephemeral: EphemeralKeyPair

    /// Starts a handshake as `identity`, with a new ephemeral key.
    public init(identity: SigningKeyPair) throws(SyncError) {
        self.init(identity: identity, ephemeral: try Handshake.newEphemeral())
    }

    /// Starts a handshake with a given ephemeral key: for test vectors only.
    public init(identity: SigningKeyPair, ephemeral: EphemeralKeyPair) {
        self.identity = identity
        self.ephemeral = ephemeral
    }

    /// Message 1.
    public var hello: [UInt8] {
        var writer = ByteWriter(capacity: Handshake.helloByteCount)
        writer.write(bytes: Handshake.magic)
        writer.write(bigEndian: Handshake.version)
        writer.write(bytes: ephemeral.publicKey)
        return writer.bytes
    }

    /// Checks message 2 and returns message 3 with the channel.
    ///
    /// - Throws: ``SyncError`` `malformed`, `unsupportedVersion` or `untrusted` if the reply is not a
    ///   valid proof of a node's identity.
    public func finish(reply: [UInt8]) throws(SyncError) -> (confirmation: [UInt8], result: HandshakeResult) {
        let theirs = try Handshake.readOpening(reply, from: "peer")
        guard reply.count == Handshake.replyByteCount else { throw SyncError(.malformed, "the peer's handshake has the wrong length") }
        let keys: SessionKeys
        do { keys = try SessionKeys.initiator(ephemeral, responderKey: theirs) } catch {
            throw SyncError(.untrusted, "the peer sent an unusable connection key")
        }
        var receiving = ChannelCipher(key: keys.receiving)
        var sending = ChannelCipher(key: keys.sending)
        let mine = ephemeral.publicKey
        let peer = try Handshake.openProof(
            Array(reply[Handshake.helloByteCount...]), with: &receiving, side: "peer",
            statement: { Handshake.responderStatement(initiator: mine, responder: theirs, id: $0) })
        let statement = Handshake.initiatorStatement(initiator: mine, responder: theirs, id: identity.publicKey, responderID: peer)
        let confirmation = Handshake.proof(by: identity, over: statement, with: &sending)
        return (confirmation, HandshakeResult(peer: peer, sending: sending, receiving: receiving))
    }
}

/// The side that accepts.
public struct ResponderHandshake: Sendable {
    private let identity: SigningKeyPair
    private let ephemeral: EphemeralKeyPair
    private var initiatorKey: [UInt8] = []
    private var ciphers: (sending: ChannelCipher, receiving: ChannelCipher)? = nil

    /// Prepares to answer a handshake as `identity`, with a new ephemeral key.
    public init(identity: SigningKeyPair) throws(SyncError) {
        self.init(identity: identity, ephemeral: try Handshake.newEphemeral())
    }

    /// Prepares to answer with a given ephemeral key: for test vectors only.
    public init(identity: SigningKeyPair, ephemeral: EphemeralKeyPair) {
        self.identity = identity
        self.ephemeral = ephemeral
    }

    /// Checks message 1 and returns message 2.
    ///
    /// - Throws: ``SyncError`` `malformed` for bytes that are not a hello, `unsupportedVersion` for another
    ///   version (answer with ``Handshake/versionNotice`` and close).
    public mutating func reply(to hello: [UInt8]) throws(SyncError) -> [UInt8] {
        let theirs = try Handshake.readOpening(hello, from: "peer")
        guard hello.count == Handshake.helloByteCount else { throw SyncError(.malformed, "the peer's hello has the wrong length") }
        let keys: SessionKeys
        do { keys = try SessionKeys.responder(ephemeral, initiatorKey: theirs) } catch {
            throw SyncError(.malformed, "the peer sent an unusable connection key")
        }
        var sending = ChannelCipher(key: keys.sending)
        let statement = Handshake.responderStatement(initiator: theirs, responder: ephemeral.publicKey, id: identity.publicKey)
        var writer = ByteWriter(capacity: Handshake.replyByteCount)
        writer.write(bytes: Handshake.magic)
        writer.write(bigEndian: Handshake.version)
        writer.write(bytes: ephemeral.publicKey)
        writer.write(bytes: Handshake.proof(by: identity, over: statement, with: &sending))
        initiatorKey = theirs
        ciphers = (sending, ChannelCipher(key: keys.receiving))
        return writer.bytes
    }

    /// Checks message 3 and returns the channel.
    ///
    /// - Throws: ``SyncError`` `untrusted` if it does not prove the initiator's identity, `malformed` if
    ///   no hello came first.
    public func finish(confirmation: [UInt8]) throws(SyncError) -> HandshakeResult {
        guard var ciphers else { throw SyncError(.malformed, "the peer confirmed a handshake it did not start") }
        let mine = ephemeral.publicKey, theirs = initiatorKey, responder = identity.publicKey
        let peer = try Handshake.openProof(
            confirmation, with: &ciphers.receiving, side: "peer",
            statement: { Handshake.initiatorStatement(initiator: theirs, responder: mine, id: $0, responderID: responder) })
        return HandshakeResult(peer: peer, sending: ciphers.sending, receiving: ciphers.receiving)
    }
}
