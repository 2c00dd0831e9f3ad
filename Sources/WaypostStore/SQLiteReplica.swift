import Foundation
import GRDB
public import WaypostCore
public import WaypostCrypto
import WaypostTrust

/// A node's replica: every change it has seen and the merged state, in one SQLite database in WAL
/// mode (https://sqlite.org/wal.html).
///
/// All access goes through a GRDB `DatabaseQueue`, which serialises it, so the type is `Sendable`.
/// Every method that writes runs in one transaction: it either applies everything it was given or,
/// when it throws, nothing.
public final class SQLiteReplica: Sendable {
    let database: DatabaseQueue
    /// The node this replica belongs to: the origin of its local changes.
    public let localNode: NodeID
    /// The schema changes are checked against.
    public let schema: Schema
    let wallClock: @Sendable () -> UInt64
    /// The key the replica's values are sealed under, or nil when it was opened without the passphrase:
    /// then only what holds no personal data can be read (counts, peers, origins).
    let storageKey: StorageKey?

    /// The wall clock in milliseconds since the Unix epoch.
    public static let systemWallClock: @Sendable () -> UInt64 = {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }

    private init(
        database: DatabaseQueue, localNode: NodeID, schema: Schema, storageKey: StorageKey?,
        wallClock: @escaping @Sendable () -> UInt64
    ) {
        self.database = database
        self.storageKey = storageKey
        self.localNode = localNode
        self.schema = schema
        self.wallClock = wallClock
    }

    /// Creates a new, empty replica for `localNode` at `path`, its values sealed under `storageKey`
    /// (``WaypostCrypto/StorageKey/init(derivedFrom:)`` of the node's identity).
    ///
    /// - Throws: ``StoreError`` `alreadyExists` if a replica is there already.
    public static func create(
        at path: String, localNode: NodeID, name: String, storageKey: StorageKey, schema: Schema = .waypost,
        wallClock: @escaping @Sendable () -> UInt64 = systemWallClock, maximumPageCount: Int? = nil
    ) throws(StoreError) -> SQLiteReplica {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.alreadyExists, "a replica already exists at \(path)")
        }
        let database = try openDatabase(path, storageKey: storageKey, maximumPageCount: maximumPageCount)
        try run {
            try ReplicaSchema.migrator(storageKey: storageKey).migrate(database)
            try database.write { db in
                try db.execute(
                    sql: "INSERT INTO meta (key, value) VALUES ('node', ?), ('name', ?), ('clock', 0), ('created_at', ?)",
                    arguments: [Data(localNode.bytes), name, Int64(wallClock())])
                try ReplicaSchema.createViews(db, schema: schema)
            }
        }
        return SQLiteReplica(database: database, localNode: localNode, schema: schema, storageKey: storageKey, wallClock: wallClock)
    }

    /// Opens an existing replica: with its `storageKey` to read and write values, or without it to read
    /// only what holds no personal data.
    ///
    /// `maximumPageCount` caps the database's size in pages (`PRAGMA max_page_count`,
    /// https://sqlite.org/pragma.html#pragma_max_page_count): past it, writes fail as on a full disk.
    ///
    /// A replica written before values were encrypted at rest is encrypted as it is opened with its key
    /// (then vacuumed, so no plaintext stays in free pages or the WAL); without the key it cannot be opened.
    ///
    /// - Throws: ``StoreError`` `notFound` if there is none, `tooNew` if a newer Waypost wrote it, `locked` if
    ///   it must be encrypted and no key was given.
    public static func open(
        at path: String, storageKey: StorageKey?, schema: Schema = .waypost,
        wallClock: @escaping @Sendable () -> UInt64 = systemWallClock, maximumPageCount: Int? = nil
    ) throws(StoreError) -> SQLiteReplica {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.notFound, "no replica at \(path); run 'waypost init --name NAME' first")
        }
        let database = try openDatabase(path, storageKey: storageKey, maximumPageCount: maximumPageCount)
        let node: NodeID = try run {
            let migrator = ReplicaSchema.migrator(storageKey: storageKey)
            let (superseded, encrypted) = try database.read { db in
                (try migrator.hasBeenSuperseded(db), try migrator.appliedIdentifiers(db).contains(ReplicaSchema.vaultMigration))
            }
            guard !superseded else {
                throw StoreError(.tooNew, "this replica was written by a newer version of Waypost; update Waypost")
            }
            try migrator.migrate(database)
            if !encrypted {
                // The plaintext the migration replaced may linger in free pages and the WAL.
                try database.vacuum()
                try database.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            }
            return try database.write { db in
                try ReplicaSchema.createViews(db, schema: schema)
                guard let data = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'node'"),
                    data.count == NodeID.byteCount
                else { throw StoreError(.database, "the replica at \(path) has no node id; it is damaged") }
                return NodeID(bytes: Array(data))
            }
        }
        return SQLiteReplica(database: database, localNode: node, schema: schema, storageKey: storageKey, wallClock: wallClock)
    }

    /// The storage key, or the error saying the passphrase is needed.
    func unlockedStorageKey() throws(StoreError) -> StorageKey {
        guard let storageKey else { throw StoreError.locked }
        return storageKey
    }

    private static func openDatabase(_ path: String, storageKey: StorageKey?, maximumPageCount: Int?) throws(StoreError)
        -> DatabaseQueue
    {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Overwrite deleted content with zeros (https://sqlite.org/pragma.html#pragma_secure_delete).
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // Sorting or grouping decrypted values must not spill them to a temporary file.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // 16 MiB of page cache (the default is 2 MiB): a large merge then keeps its pages in memory
            // until it commits rather than spilling them to the WAL and reading them back.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            if let storageKey { db.add(function: ShownValueFunction.make(storageKey)) }
            if let maximumPageCount { try db.execute(sql: "PRAGMA max_page_count = \(maximumPageCount)") }
        }
        return try run { try DatabaseQueue(path: path, configuration: configuration) }
    }

    /// This node's name, as given to `init`.
    public func name() throws(StoreError) -> String {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'name'") ?? "" }
    }

    /// Runs `body` in a write transaction, turning every failure into a ``StoreError``.
    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws(StoreError) -> T {
        try SQLiteReplica.run { try database.write(body) }
    }

    /// Runs `body` in a read transaction, turning every failure into a ``StoreError``.
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws(StoreError) -> T {
        try SQLiteReplica.run { try database.read(body) }
    }

    static func run<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as CoreError {
            throw StoreError(error)
        } catch let error as TrustError {
            throw StoreError(error.code == .untrustedOrigin ? .untrusted : .forged, error.message + "; nothing was applied", cause: error)
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_FULL {
                throw StoreError(.diskFull, "the disk is full; nothing was written: free some space and try again", cause: error)
            }
            throw StoreError(.database, "the replica database failed: \(error.message ?? "\(error.resultCode)")", cause: error)
        } catch {
            throw StoreError(.database, "the replica database failed: \(error)")
        }
    }
}
