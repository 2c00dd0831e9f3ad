import Foundation
import GRDB
public import WaypostCore
public import WaypostTrust

extension SQLiteReplica {
    /// Stores a directive this node issued (signed with its own key) and puts it into effect, in one
    /// transaction: as ``apply(_:certificates:directives:from:)`` would with no changes. Storing one
    /// already held changes nothing.
    ///
    /// - Returns: what it did (``ApplyReport/directivesStored`` is 0 if the directive was held already).
    /// - Throws: ``StoreError`` `invalid` if this node did not sign it, or if it is an erasure, which
    ///   this version cannot carry out yet.
    @discardableResult
    public func issue(_ directive: Directive) throws(StoreError) -> ApplyReport {
        guard directive.issuer == localNode, directive.isSignedByIssuer else {
            throw StoreError(.invalid, "a directive this node issues must be signed with this node's key")
        }
        try requireWritable()
        return try apply(ChangeBatch(), directives: [directive])
    }

    /// Every directive held, oldest first: what this node passes on in every bundle and sync session.
    public func directives() throws(StoreError) -> [Directive] {
        try read { db in try DirectiveTables.all(db) }
    }

    /// For each revoked node, how many of its changes after the revocation's last accepted sequence this
    /// replica applied before the revocation arrived (left as they are: undoing merges is out of scope).
    /// Only nodes with such changes are listed.
    public func changesBeyondRevocations() throws(StoreError) -> [NodeID: Int] {
        try read { db in
            var result: [NodeID: Int] = [:]
            for (node, lastAccepted) in try DirectiveTables.ceilings(db) {
                let count =
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT COUNT(*) FROM changes WHERE origin = (SELECT id FROM origins WHERE node = ?) AND sequence > ?
                            """, arguments: [Data(node.bytes), Int64(bitPattern: min(lastAccepted, UInt64(Int64.max)))]) ?? 0
                if count > 0 { result[node] = count }
            }
            return result
        }
    }

    /// Whether a revocation of `node` is in effect here. A cheap read, for sync sessions to check
    /// their peer as they go.
    public func isRevoked(_ node: NodeID) throws(StoreError) -> Bool {
        try read { db in
            try db.cachedStatement(sql: "SELECT 1 FROM directives WHERE kind = 1 AND accepted = 1 AND subject = ?")
                .hasRow(.blob(node.bytes))
        }
    }

    /// Whether this replica holds a signature of `dot`'s origin at `dot` (so that its changes up to
    /// there can be verified by any node): where a revocation's last accepted sequence should be.
    public func holdsSignature(at dot: Dot) throws(StoreError) -> Bool {
        try read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM signatures WHERE origin = (SELECT id FROM origins WHERE node = ?) AND sequence = ?)
                    """, arguments: [Data(dot.origin.bytes), Int64(bitPattern: dot.sequence)]) ?? false
        }
    }
}
