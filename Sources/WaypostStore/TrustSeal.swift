import Foundation
import GRDB
import WaypostCrypto

/// The authentication of the rows that decide whom this node trusts and dials (`Protocol/replica.md`
/// §13): the peers (ids, admin flags, addresses), the networks joined and created, the certificates and
/// the directives held.
///
/// Each of those tables has a tag in `meta` (`trust.tag.TABLE`): BLAKE2b-256 keyed with the storage key over
/// the table's rows in key order. Every write of the table through the replica renews it in the same
/// transaction; opening the replica with its key checks every tag, so a row added, changed or deleted in
/// the file by other means (someone holding the laptop without the passphrase, with `sqlite3`) is refused
/// before the node trusts, dials or sends anything, naming the table.
///
/// A table that has no tag yet and no row is fine: its first write tags it. A table with rows and no tag
/// was written by a Waypost from before the tags (or its tag was deleted): the node refuses to open until
/// an admin has checked the rows and accepted them with `waypost peer seal` (``SQLiteReplica/sealTrustRows()``).
enum TrustSeal {
    /// One table under a tag.
    struct Table: Sendable {
        /// The table's name, which also names its tag (`trust.tag.NAME`).
        let name: String
        /// What the table holds, for an error message.
        let contents: String
        /// The columns that count, in key order.
        let rows: String

        var tagKey: String { "trust.tag." + name }
    }

    static let peers = Table(
        name: "peers", contents: "the trusted peers (their ids, admin flags and addresses)",
        rows: "SELECT name, node, role, address, added_at FROM peers ORDER BY name")
    static let networks = Table(
        name: "networks", contents: "the networks this node joined",
        rows: "SELECT network, joined_at FROM networks ORDER BY network")
    static let networkKeys = Table(
        name: "network_keys", contents: "the networks this node created",
        rows: "SELECT network, name, created_at FROM network_keys ORDER BY network")
    static let certificates = Table(
        name: "certificates", contents: "the membership certificates",
        rows: "SELECT network, node, issuer, issued_at, bytes FROM certificates ORDER BY network, node, issuer, issued_at")
    static let directives = Table(
        name: "directives", contents: "the revocations and erasures",
        rows: "SELECT id, kind, subject, last_accepted, issuer, issued_at, accepted, bytes FROM directives ORDER BY id")

    /// Every table under a tag.
    static let tables = [peers, networks, networkKeys, certificates, directives]

    /// The tag of `table` as it is now.
    static func tag(of table: Table, _ db: Database, key: StorageKey) throws -> [UInt8] {
        var hash = key.bytes.withUnsafeBytes { Blake2b(outputLength: 32, key: Array($0)) }
        hash.update(Array("waypost/trust-rows/v1".utf8) + [0] + Array(table.name.utf8) + [0])
        let rows = try Row.fetchCursor(db, sql: table.rows)
        while let row = try rows.next() {
            var encoded: [UInt8] = []
            for value in row.databaseValues { append(value, to: &encoded) }
            hash.update(encoded)
        }
        return hash.finalize()
    }

    /// Each value with its type and length, so that no two rows encode alike.
    private static func append(_ value: DatabaseValue, to bytes: inout [UInt8]) {
        func length(_ count: Int) { withUnsafeBytes(of: UInt32(count).bigEndian) { bytes += $0 } }
        switch value.storage {
        case .null: bytes.append(0)
        case .int64(let number):
            bytes.append(1)
            withUnsafeBytes(of: number.bigEndian) { bytes += $0 }
        case .double(let number):
            bytes.append(2)
            withUnsafeBytes(of: number.bitPattern.bigEndian) { bytes += $0 }
        case .string(let text):
            bytes.append(3)
            length(text.utf8.count)
            bytes += text.utf8
        case .blob(let data):
            bytes.append(4)
            length(data.count)
            bytes += data
        }
    }

    /// Renews the tags of `tables` after a write, in the writing transaction.
    static func renew(_ tables: [Table], _ db: Database, key: StorageKey) throws {
        for table in tables {
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [table.tagKey, Data(try tag(of: table, db, key: key))])
        }
    }

    /// Checks every table's tag.
    ///
    /// - Throws: ``StoreError`` `tampered` naming the first table whose rows do not match their tag, or
    ///   that has rows and no tag.
    static func verify(_ db: Database, key: StorageKey) throws {
        // The tags are written together (a new replica, 'peer seal'): one missing where others exist was
        // deleted, with its table's rows perhaps (all the revocations, say).
        let present = Set(try String.fetchAll(db, sql: "SELECT key FROM meta WHERE key LIKE 'trust.tag.%'"))
        if !present.isEmpty, let missing = tables.first(where: { !present.contains($0.tagKey) }) {
            throw StoreError.tampered("the authentication tag of \(missing.contents) (table '\(missing.name)') is missing")
        }
        for table in tables {
            let stored = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [table.tagKey])
            guard let stored else {
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS (\(table.rows))") == true else { continue }
                throw StoreError(
                    .tampered,
                    "\(table.contents) in this replica are not authenticated under its key: it was written by an earlier "
                        + "Waypost, or the table '\(table.name)' was changed outside Waypost; check them with 'waypost peer list' "
                        + "and 'waypost network list', then accept them with 'waypost peer seal'")
            }
            guard Array(stored) == (try tag(of: table, db, key: key)) else {
                throw StoreError.tampered(
                    "\(table.contents) (table '\(table.name)') do not match their authentication tag: a row was added, "
                        + "changed or deleted")
            }
        }
    }
}
