/// Why a connection or a sync failed, with one line a person can act on.
///
/// None of these leave the replica half-changed: each batch is applied in one transaction or not at all.
public struct SyncError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem.
    public enum Code: String, Sendable, Hashable {
        /// The other side sent bytes that are not this protocol, or broke its rules.
        case malformed
        /// The other side speaks another version of the sync protocol.
        case unsupportedVersion = "unsupported-version"
        /// The other side did not prove its identity, or proved one this node does not trust.
        case untrusted
        /// The other side refused this node (it does not trust it, or is busy).
        case refused
        /// The other side is not the node that was dialled.
        case wrongPeer = "wrong-peer"
        /// The other side is this node itself (its own `serve`, or a copy of its home): a node never
        /// syncs with itself.
        case sameNode = "same-node"
        /// Nothing arrived in time.
        case timeout
        /// The connection closed or could not be opened.
        case connection
        /// An address could not be read.
        case invalidAddress = "invalid-address"
    }

    /// What kind of problem.
    public let code: Code
    /// One line a person can act on.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
