import Foundation
import GRDB
public import WaypostCore

extension SQLiteReplica {
    /// Sets or clears the address `serve` dials a peer at.
    ///
    /// - Throws: ``StoreError`` `notFound` if there is no peer of that name.
    public func setAddress(_ address: String?, ofPeer name: String) throws(StoreError) {
        let key = try unlockedStorageKey()
        try write { db in
            try db.execute(sql: "UPDATE peers SET address = ? WHERE name = ?", arguments: [address, name])
            if db.changesCount == 0 { throw StoreError(.notFound, "no peer named '\(name)'; see 'waypost peer list'") }
            try TrustSeal.renew([TrustSeal.peers], db, key: key)
        }
    }

    /// Records a connection with `node` at `address` (seen now), what it has seen (its versions, as it last
    /// said), and, when `caughtUp`, that a sync with it just caught up both ways. A named peer's `seen`
    /// versions move too, as a bundle's would. One transaction, so one commit on the sync's path.
    public func recordSync(with node: NodeID, address: String, versions: VersionVector, caughtUp: Bool) throws(StoreError) {
        let now = Int64(wallClock())
        try write { db in
            let key = Data(node.bytes)
            try db.execute(
                sql: """
                    INSERT INTO contacts (node, last_address, last_seen_at) VALUES (?, ?, ?)
                    ON CONFLICT (node) DO UPDATE SET last_address = excluded.last_address, last_seen_at = excluded.last_seen_at
                    """, arguments: [key, address, now])
            if caughtUp {
                try db.execute(sql: "UPDATE contacts SET last_synced_at = ? WHERE node = ?", arguments: [now, key])
            }
            let peer = try String.fetchOne(db, sql: "SELECT name FROM peers WHERE node = ?", arguments: [key])
            for (origin, sequence) in versions.entries {
                try db.execute(
                    sql: """
                        INSERT INTO contact_versions (node, origin, sequence) VALUES (?, ?, ?)
                        ON CONFLICT (node, origin) DO UPDATE SET sequence = max(sequence, excluded.sequence)
                        """,
                    arguments: [key, Data(origin.bytes), try StoredNumber.column(sequence, "a version vector entry")])
                if let peer {
                    try db.execute(
                        sql: """
                            INSERT INTO peer_versions (peer, node, sequence) VALUES (?, ?, ?)
                            ON CONFLICT (peer, node) DO UPDATE SET sequence = max(sequence, excluded.sequence)
                            """,
                        arguments: [peer, Data(origin.bytes), try StoredNumber.column(sequence, "a version vector entry")])
                }
            }
        }
    }

    /// Every node this one has met over the network.
    public func contacts() throws(StoreError) -> [Contact] {
        try read { db in
            var versions: [Data: VersionVector] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT node, origin, sequence FROM contact_versions") {
                versions[row[0], default: VersionVector()].advance(
                    NodeID(bytes: Array(row[1] as Data)), to: try StoredNumber.read(row[2], "a contact's version vector entry"))
            }
            return try Row.fetchAll(db, sql: "SELECT node, last_address, last_seen_at, last_synced_at FROM contacts ORDER BY node")
                .map { row in
                    let key: Data = row[0]
                    return Contact(
                        node: NodeID(bytes: Array(key)), lastAddress: row[1], lastSeenAt: (row[2] as Int64?).map(UInt64.init),
                        lastSyncedAt: (row[3] as Int64?).map(UInt64.init), versions: versions[key] ?? VersionVector())
                }
        }
    }
}
