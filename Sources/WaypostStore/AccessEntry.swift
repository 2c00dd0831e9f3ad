public import WaypostCore

/// One look at personal data, as the local access log (`access_log`) keeps it: who, from which node,
/// when, with which command, at which records, and why if a reason was given. It holds no field value.
public struct AccessEntry: Sendable, Hashable {
    /// The entry's position in the log, from 1.
    public let number: Int64
    /// When, in milliseconds since the Unix epoch.
    public let at: UInt64
    /// The operating-system user who ran the command (and, under sudo, who invoked sudo).
    public let user: String
    /// The node whose replica was read.
    public let node: NodeID
    /// The command (`case show`, `sql`, `bundle export`, ...).
    public let command: String
    /// The records shown, by id; empty with a ``scope`` when they were too many to list.
    public let records: [String]
    /// What was shown when not every record is listed (`all 1200 cases`, `3 rows`).
    public let scope: String?
    /// The reason given with `--reason`, if any.
    public let reason: String?

    /// Makes an entry.
    public init(
        number: Int64, at: UInt64, user: String, node: NodeID, command: String, records: [String], scope: String?, reason: String?
    ) {
        self.number = number
        self.at = at
        self.user = user
        self.node = node
        self.command = command
        self.records = records
        self.scope = scope
        self.reason = reason
    }
}
