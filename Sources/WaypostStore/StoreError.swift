import WaypostCore

/// An error from the replica store, with a message a person can act on and the underlying cause.
///
/// Whenever a store method throws, the transaction it ran in has been rolled back: nothing it was
/// asked to write has been written.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem, for callers that branch on it.
    public enum Code: String, Sendable, Hashable {
        /// No record, peer or change with that name.
        case notFound = "not-found"
        /// A record prefix that matches more than one record.
        case ambiguous
        /// The thing to create exists already.
        case alreadyExists = "already-exists"
        /// An edit or a received change does not fit the schema.
        case invalid
        /// Changes from an origin this node does not trust.
        case untrusted
        /// Changes that do not match their origin's signature, or a record key where the chain has none.
        case forged
        /// The disk is full.
        case diskFull = "disk-full"
        /// The database was written by a newer Waypost.
        case tooNew = "too-new"
        /// Any other SQLite failure.
        case database
        /// The replica's values are encrypted and this replica was opened without the node's key.
        case locked
        /// Encrypted bytes that do not open: the database was altered or damaged.
        case damaged
        /// The database file holds something Waypost did not write there (a trigger, an altered table or
        /// index, a row that fails its authentication): it was changed by other means than Waypost.
        case tampered
        /// This node was restored from a backup and signs nothing until `waypost restore --resume`
        /// (`Protocol/backup.md` §4).
        case restored
    }

    /// What kind of problem.
    public let code: Code
    /// One line a person can act on.
    public let message: String
    /// The error underneath, if any (a SQLite or core error).
    public let cause: (any Error & Sendable)?

    /// Makes an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// Wraps a core validation error.
    init(_ error: CoreError) {
        self.init(.invalid, error.message, cause: error)
    }

    public var description: String { message }

    /// The error for reading or writing values of a replica opened without its storage key.
    static let locked = StoreError(
        .locked,
        "this needs the node's passphrase: the replica's values are encrypted at rest "
            + "(set $WAYPOST_PASSPHRASE, or run the command on a terminal to be asked)")

    /// The error for a disk too full to write.
    static let diskFull = StoreError(.diskFull, "the disk is full; nothing was written: free some space and try again")

    /// The error for a replica file changed by other means than Waypost, naming what was changed.
    static func tampered(_ what: String) -> StoreError {
        StoreError(
            .tampered,
            "\(what): the replica file was changed outside Waypost and is not opened; restore it from a backup, "
                + "or have an administrator inspect it with sqlite3")
    }

    /// The error for encrypted bytes that do not open.
    static func damaged(_ what: String) -> StoreError {
        StoreError(
            .damaged,
            "\(what) in the replica does not decrypt under this node's key: the database file was altered or damaged; "
                + "run 'waypost audit verify' and restore from a backup or resync from a peer")
    }
}
