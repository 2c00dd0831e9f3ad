import Foundation
import GRDB
import WaypostCore
import WaypostTrust

/// Reads and writes the tables that say whom this node trusts: `peers` (with their role), `networks`,
/// `certificates`, and the revocations in `directives` (``DirectiveTables``).
enum TrustTables {
    /// Stores certificates (already checked against their issuers when decoded); known ones are skipped.
    /// Returns how many were new: the caller renews the table's tag (``TrustSeal``) when any was.
    @discardableResult
    static func store(_ certificates: [Certificate], _ db: Database) throws -> Int {
        var stored = 0
        for certificate in certificates {
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO certificates (network, node, issuer, issued_at, bytes) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [
                Data(certificate.network.bytes), Data(certificate.node.bytes), Data(certificate.issuer.bytes),
                Int64(bitPattern: certificate.issuedAt), Data(certificate.bytes),
            ])
            stored += db.changesCount
        }
        return stored
    }

    /// Every certificate held.
    static func certificates(_ db: Database) throws -> [Certificate] {
        try Data.fetchAll(db, sql: "SELECT bytes FROM certificates ORDER BY network, node, issued_at").compactMap {
            try? Certificate(decoding: Array($0))
        }
    }

    /// Who this node trusts, from its tables.
    static func registry(_ db: Database, local: NodeID) throws -> TrustRegistry {
        var pairwise: [NodeID: Role] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT node, role FROM peers") {
            pairwise[NodeID(bytes: Array(row[0] as Data))] = Role(rawValue: UInt8(truncatingIfNeeded: row[1] as Int64)) ?? .field
        }
        let networks = Set(try Data.fetchAll(db, sql: "SELECT network FROM networks").map { NodeID(bytes: Array($0)) })
        return TrustRegistry(
            local: local, pairwise: pairwise, joinedNetworks: networks, certificates: try certificates(db),
            revocations: try DirectiveTables.revocations(db))
    }
}
