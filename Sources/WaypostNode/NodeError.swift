/// An error from a node's home directory, its identity or its bundles, with a message a person can
/// act on and the underlying cause.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem.
    public enum Code: String, Sendable, Hashable {
        /// There is no node in this home directory.
        case noNode = "no-node"
        /// There is a node here already.
        case alreadyInitialised = "already-initialised"
        /// A file could not be read or written.
        case file
        /// A bundle could not be read or applied.
        case bundle
        /// The identity key is missing, unreadable or damaged.
        case identity
        /// The passphrase does not open the key.
        case wrongPassphrase = "wrong-passphrase"
        /// A name given on the command line is not acceptable.
        case invalidName = "invalid-name"
        /// The bundle or its changes come from a node this one does not trust.
        case untrusted
        /// Network membership: no such network, or this node may not enroll in it.
        case network
        /// The command needs the node's passphrase: the replica's values are encrypted at rest.
        case locked
        /// A directive that cannot be issued as asked: no reason, an overlong one, a node that cannot
        /// be revoked, or a last accepted sequence this replica cannot vouch for.
        case invalidDirective = "invalid-directive"
        /// Another process already does what this one was asked to: a second `serve` on one home.
        case alreadyRunning = "already-running"
        /// A backup file that is not one, is cut short or altered, or belongs to another node; or a home
        /// that a restore would overwrite (`Protocol/backup.md`).
        case backup
    }

    /// What kind of problem.
    public let code: Code
    /// One line a person can act on.
    public let message: String
    /// The error underneath, if any.
    public let cause: (any Error & Sendable)?

    /// Makes an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
