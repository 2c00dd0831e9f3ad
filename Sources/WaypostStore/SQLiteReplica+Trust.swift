import Foundation
import GRDB
public import WaypostCore
public import WaypostTrust

extension SQLiteReplica {
    /// Who this node trusts, and why.
    public func trust() throws(StoreError) -> TrustRegistry {
        let localNode = self.localNode
        return try read { db in try TrustTables.registry(db, local: localNode) }
    }

    /// Joins a network: the members its certificates enroll are trusted from now on.
    ///
    /// - Throws: ``StoreError`` `alreadyExists` if joined already, `locked` without the storage key (the
    ///   networks joined are authenticated under it, ``TrustSeal``).
    public func join(network: NodeID) throws(StoreError) {
        let now = Int64(wallClock())
        let key = try unlockedStorageKey()
        try write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM networks WHERE network = ?)", arguments: [Data(network.bytes)]) == true {
                throw StoreError(.alreadyExists, "this node has already joined network \(network.short)")
            }
            try db.execute(sql: "INSERT INTO networks (network, joined_at) VALUES (?, ?)", arguments: [Data(network.bytes), now])
            try TrustSeal.renew([TrustSeal.networks], db, key: key)
        }
    }

    /// The networks joined.
    public func joinedNetworks() throws(StoreError) -> [NodeID] {
        try read { db in try Data.fetchAll(db, sql: "SELECT network FROM networks ORDER BY network").map { NodeID(bytes: Array($0)) } }
    }

    /// Records that this node holds the key of a network it created, under a local name.
    public func recordNetworkKey(_ network: NodeID, name: String) throws(StoreError) {
        let now = Int64(wallClock())
        let key = try unlockedStorageKey()
        try write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO network_keys (network, name, created_at) VALUES (?, ?, ?)",
                arguments: [Data(network.bytes), name, now])
            try TrustSeal.renew([TrustSeal.networkKeys], db, key: key)
        }
    }

    /// The networks whose keys this node holds, with their names.
    public func networkKeys() throws(StoreError) -> [(network: NodeID, name: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT network, name FROM network_keys ORDER BY name").map {
                (NodeID(bytes: Array($0[0] as Data)), $0[1] as String)
            }
        }
    }

    /// Stores certificates (checked against their issuers when decoded).
    public func store(_ certificates: [Certificate]) throws(StoreError) {
        let key = try unlockedStorageKey()
        let local = localNode
        try write { db in
            if try TrustTables.store(certificates, local: local, db).stored > 0 {
                try TrustSeal.renew([TrustSeal.certificates], db, key: key)
            }
        }
    }

    /// Every certificate held, for passing on in bundles.
    public func certificates() throws(StoreError) -> [Certificate] {
        try read { db in try TrustTables.certificates(db) }
    }
}
