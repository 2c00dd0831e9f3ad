import WaypostCore
import WaypostCrypto
import WaypostSync

/// The nodes the sync tests use, made from fixed seeds as in `Protocol/bundle.md` §7 (never for a real node).
enum Nodes {
    /// The 32 bytes `start, start + 1, …, start + 31`: the seeds of the protocol's examples.
    static func seed(_ start: UInt8) -> [UInt8] { (0..<32).map { start &+ UInt8($0) } }

    /// The node of seed `start …`: I (`00`), R (`40`), O (`60`) in `Protocol/sync.md` §7.
    static func identity(_ start: UInt8) -> SigningKeyPair { try! SigningKeyPair(seed: seed(start)) }

    /// The initiator of the examples (seed `00 01 … 1f`, S of `bundle.md`).
    static let initiator = identity(0x00)
    /// The responder of the examples (seed `40 41 … 5f`, R of `bundle.md`).
    static let responder = identity(0x40)
    /// A third node (seed `60 61 … 7f`, O of `bundle.md`): here the man in the middle, or a node with a
    /// valid identity of its own that tries to pass as another.
    static let other = identity(0x60)

    /// A full handshake between `initiator` and `responder` with fresh ephemeral keys, and the three messages.
    static func handshake(
        _ initiator: SigningKeyPair = Nodes.initiator, _ responder: SigningKeyPair = Nodes.responder
    ) throws -> (initiator: HandshakeResult, responder: HandshakeResult, messages: [[UInt8]]) {
        let dialling = try InitiatorHandshake(identity: initiator)
        var answering = try ResponderHandshake(identity: responder)
        let hello = dialling.hello
        let reply = try answering.reply(to: hello)
        let (confirmation, initiatorResult) = try dialling.finish(reply: reply)
        let responderResult = try answering.finish(confirmation: confirmation)
        return (initiatorResult, responderResult, [hello, reply, confirmation])
    }

    /// The code of the ``SyncError`` that `body` throws, or nil if it returns.
    static func code<T>(_ body: () throws(SyncError) -> T) -> SyncError.Code? {
        error(body)?.code
    }

    /// The ``SyncError`` that `body` throws, or nil if it returns.
    static func error<T>(_ body: () throws(SyncError) -> T) -> SyncError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }
}

extension SecretBytes {
    /// A copy of the bytes, to compare keys in tests.
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
