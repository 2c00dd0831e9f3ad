import Foundation
import GRDB
import WaypostCore
import WaypostTrust

/// Reads and writes the tables that say whom this node trusts: `peers` (with their role), `networks`,
/// `certificates`, and the revocations in `directives` (``DirectiveTables``).
enum TrustTables {
    /// Stores the certificates worth keeping (already checked against their issuers when decoded;
    /// ``WaypostTrust/CertificateAdmission`` decides which); known ones are skipped. Returns how many were
    /// new and how many were refused: the caller renews the table's tag (``TrustSeal``) when any was new.
    @discardableResult
    static func store(_ certificates: [Certificate], local: NodeID, _ db: Database) throws -> (stored: Int, refused: Int) {
        guard !certificates.isEmpty else { return (0, 0) }
        let joined = Set(try Data.fetchAll(db, sql: "SELECT network FROM networks").map { NodeID(bytes: Array($0)) })
        let decision = CertificateAdmission.decide(
            certificates, held: try self.certificates(db), local: local, joinedNetworks: joined)
        var stored = 0
        for certificate in decision.kept {
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO certificates (network, node, issuer, issued_at, bytes) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [
                Data(certificate.network.bytes), Data(certificate.node.bytes), Data(certificate.issuer.bytes),
                Int64(bitPattern: certificate.issuedAt), Data(certificate.bytes),
            ])
            stored += db.changesCount
        }
        return (stored, decision.refused)
    }

    /// Every certificate held.
    static func certificates(_ db: Database) throws -> [Certificate] {
        try Data.fetchAll(db, sql: "SELECT bytes FROM certificates ORDER BY network, node, issued_at").compactMap {
            // Checked when they were received; the table is authenticated under the storage key.
            try? Certificate(decodingStored: Array($0))
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
