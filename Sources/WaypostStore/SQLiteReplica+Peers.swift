import Foundation
import GRDB
public import WaypostCore
public import WaypostTrust

extension SQLiteReplica {
    /// Adds a peer.
    ///
    /// - Throws: ``StoreError`` `alreadyExists` if the name or the node is taken, `invalid` for this
    ///   node's own id or a name that is not a simple word, `locked` without the storage key (the peers are
    ///   authenticated under it, ``TrustSeal``).
    public func addPeer(named name: String, node: NodeID, role: Role = .field, address: String? = nil) throws(StoreError) {
        guard !name.isEmpty, name.count <= 64,
            name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
        else {
            throw StoreError(.invalid, "'\(name)' is not a peer name: use letters, digits, '-', '_' or '.', up to 64")
        }
        guard node != localNode else { throw StoreError(.invalid, "that is this node's own id") }
        let now = Int64(wallClock())
        let key = try unlockedStorageKey()
        try write { db in
            if let existing = try String.fetchOne(db, sql: "SELECT name FROM peers WHERE node = ?", arguments: [Data(node.bytes)]) {
                throw StoreError(.alreadyExists, "that node is already a peer, named '\(existing)'")
            }
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM peers WHERE name = ?)", arguments: [name]) == true {
                throw StoreError(.alreadyExists, "a peer named '\(name)' exists already; pick another name or remove it first")
            }
            try db.execute(
                sql: "INSERT INTO peers (name, node, added_at, role, address) VALUES (?, ?, ?, ?, ?)",
                arguments: [name, Data(node.bytes), now, Int64(role.rawValue), address])
            try TrustSeal.renew([TrustSeal.peers], db, key: key)
        }
    }

    /// Removes a peer (the changes it sent stay in the replica).
    ///
    /// - Throws: ``StoreError`` `notFound` if there is no peer of that name, `locked` without the storage key
    ///   (the peers are authenticated under it, ``TrustSeal``).
    public func removePeer(named name: String) throws(StoreError) {
        let key = try unlockedStorageKey()
        try write { db in
            try db.execute(sql: "DELETE FROM peers WHERE name = ?", arguments: [name])
            if db.changesCount == 0 { throw StoreError(.notFound, "no peer named '\(name)'; see 'waypost peer list'") }
            try TrustSeal.renew([TrustSeal.peers], db, key: key)
        }
    }

    /// Every peer, by name.
    public func peers() throws(StoreError) -> [PeerRecord] {
        try read { db in
            var seen: [String: VersionVector] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT peer, node, sequence FROM peer_versions") {
                seen[row[0], default: VersionVector()].advance(
                    NodeID(bytes: Array(row[1] as Data)), to: try StoredNumber.read(row[2], "a peer's version vector entry"))
            }
            return try Row.fetchAll(
                db, sql: "SELECT name, node, added_at, last_import_at, last_export_at, role, address FROM peers ORDER BY name"
            ).map { row in
                PeerRecord(
                    name: row[0], node: NodeID(bytes: Array(row[1] as Data)), addedAt: UInt64(row[2] as Int64),
                    lastImportAt: (row[3] as Int64?).map(UInt64.init), lastExportAt: (row[4] as Int64?).map(UInt64.init),
                    seen: seen[row[0]] ?? VersionVector(), role: Role(rawValue: UInt8(truncatingIfNeeded: row[5] as Int64)) ?? .field, address: row[6])
            }
        }
    }

    /// The peer of that name.
    ///
    /// - Throws: ``StoreError`` `notFound`, naming the known peers.
    public func peer(named name: String) throws(StoreError) -> PeerRecord {
        let all = try peers()
        guard let peer = all.first(where: { $0.name == name }) else {
            let known = all.isEmpty ? "none yet; add one with 'waypost peer add NAME NODE-ID'" : all.map(\.name).joined(separator: ", ")
            throw StoreError(.notFound, "no peer named '\(name)'; known peers: \(known)")
        }
        return peer
    }

    /// Records that `node` had seen `versions` (from a bundle it wrote), if it is a peer.
    public func recordSeen(by node: NodeID, _ versions: VersionVector) throws(StoreError) {
        let now = Int64(wallClock())
        try write { db in
            guard let name = try String.fetchOne(db, sql: "SELECT name FROM peers WHERE node = ?", arguments: [Data(node.bytes)])
            else { return }
            try db.execute(sql: "UPDATE peers SET last_import_at = ? WHERE name = ?", arguments: [now, name])
            for (origin, sequence) in versions.entries {
                try db.execute(
                    sql: """
                        INSERT INTO peer_versions (peer, node, sequence) VALUES (?, ?, ?)
                        ON CONFLICT (peer, node) DO UPDATE SET sequence = max(sequence, excluded.sequence)
                        """,
                    arguments: [name, Data(origin.bytes), try StoredNumber.column(sequence, "a version vector entry")])
            }
        }
    }

    /// Records that a bundle for the peer was written.
    public func recordExport(to name: String) throws(StoreError) {
        let now = Int64(wallClock())
        try write { db in try db.execute(sql: "UPDATE peers SET last_export_at = ? WHERE name = ?", arguments: [now, name]) }
    }
}
