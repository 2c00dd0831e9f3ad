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
    /// How many received changes may wait for their predecessors.
    let pendingLimits: PendingLimits

    /// The wall clock in milliseconds since the Unix epoch.
    public static let systemWallClock: @Sendable () -> UInt64 = {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }

    private init(
        database: DatabaseQueue, localNode: NodeID, schema: Schema, storageKey: StorageKey?,
        wallClock: @escaping @Sendable () -> UInt64, pendingLimits: PendingLimits
    ) {
        self.database = database
        self.pendingLimits = pendingLimits
        self.storageKey = storageKey
        self.localNode = localNode
        self.schema = schema
        self.wallClock = wallClock
    }

    /// Creates a new, empty replica for `localNode` at `path`, its values sealed under `storageKey`
    /// (``WaypostCrypto/StorageKey/init(derivedFrom:)`` of the node's identity).
    ///
    /// The file is made readable by its owner alone (mode 0600, whatever the umask); SQLite gives its
    /// `-wal` and `-shm` files the same mode.
    ///
    /// - Throws: ``StoreError`` `alreadyExists` if a replica is there already.
    public static func create(
        at path: String, localNode: NodeID, name: String, storageKey: StorageKey, schema: Schema = .waypost,
        wallClock: @escaping @Sendable () -> UInt64 = systemWallClock, maximumPageCount: Int? = nil,
        pendingLimits: PendingLimits = .standard
    ) throws(StoreError) -> SQLiteReplica {
        // An empty file is a new database to SQLite; making it here, exclusively, fixes its mode.
        try createOwnerOnlyFile(path, existing: "a replica already exists at \(path)")
        let database = try openDatabase(path, storageKey: storageKey, schema: schema, maximumPageCount: maximumPageCount)
        try run {
            try database.inDatabase { db in
                // WAL is kept in the file's header (https://sqlite.org/wal.html#persistence_of_wal_mode):
                // set once here, never again on open.
                guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                    throw StoreError(.database, "the replica at \(path) cannot use write-ahead logging")
                }
            }
            try ReplicaSchema.migrator(storageKey: storageKey).migrate(database)
            try database.write { db in
                try db.execute(
                    sql: "INSERT INTO meta (key, value) VALUES ('node', ?), ('name', ?), ('clock', 0), ('created_at', ?)",
                    arguments: [Data(localNode.bytes), name, Int64(wallClock())])
                try TrustSeal.renew(TrustSeal.tables, db, key: storageKey)
                try WriteGate.write(.open, sequence: 0, node: localNode, key: storageKey, db)
            }
            try database.inDatabase { db in try ReplicaSchema.createViews(db, schema: schema) }
        }
        return SQLiteReplica(
            database: database, localNode: localNode, schema: schema, storageKey: storageKey, wallClock: wallClock,
            pendingLimits: pendingLimits)
    }

    /// Opens an existing replica: with its `storageKey` to read and write values, or without it to read
    /// only what holds no personal data.
    ///
    /// `maximumPageCount` caps the database's size in pages (`PRAGMA max_page_count`,
    /// https://sqlite.org/pragma.html#pragma_max_page_count): past it, writes fail as on a full disk.
    ///
    /// Opening writes nothing to the file unless a migration is due, so a replica on a full disk can still
    /// be read, and a running `serve`'s statements stay valid. Before anything else runs, the file's schema
    /// is checked against the one Waypost's migrations make (``ReplicaSchema/verify(_:migrator:)``): a
    /// trigger, table, index or view added or altered by other means is refused. The file and its `-wal`
    /// and `-shm` files are made readable by their owner alone.
    ///
    /// A replica written before values were encrypted at rest is encrypted as it is opened with its key
    /// (then vacuumed, so no plaintext stays in free pages or the WAL); without the key it cannot be opened.
    ///
    /// - Throws: ``StoreError`` `notFound` if there is none, `tooNew` if a newer Waypost wrote it, `locked` if
    ///   it must be encrypted and no key was given, `tampered` if its schema is not Waypost's, `diskFull`.
    ///
    /// Opened with its key, the replica checks the tags of the rows that decide whom it trusts and dials
    /// (``TrustSeal``) and refuses rows changed in the file by other means; `verifyingTrustRows: false` is
    /// only for ``sealTrustRows()``, which accepts them as they are.
    public static func open(
        at path: String, storageKey: StorageKey?, schema: Schema = .waypost,
        wallClock: @escaping @Sendable () -> UInt64 = systemWallClock, maximumPageCount: Int? = nil,
        verifyingTrustRows: Bool = true, pendingLimits: PendingLimits = .standard
    ) throws(StoreError) -> SQLiteReplica {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.notFound, "no replica at \(path); run 'waypost init --name NAME' first")
        }
        restrictToOwner(path)
        let database: DatabaseQueue
        do {
            database = try openDatabase(path, storageKey: storageKey, schema: schema, maximumPageCount: maximumPageCount)
        } catch let error where error.code == .diskFull {
            // On a full disk SQLite cannot size a new `-shm` file (SQLITE_IOERR_SHMSIZE). In exclusive
            // locking mode it keeps the WAL index in its own memory instead
            // (https://sqlite.org/wal.html#noshm): this process can still read, and writes fail as full.
            database = try openDatabase(
                path, storageKey: storageKey, schema: schema, maximumPageCount: maximumPageCount, exclusive: true)
        }
        let node: NodeID = try run {
            let migrator = ReplicaSchema.migrator(storageKey: storageKey)
            let (superseded, encrypted, pending) = try database.read { db in
                let superseded = try migrator.hasBeenSuperseded(db)
                if !superseded { try ReplicaSchema.verify(db, migrator: migrator) }
                return (
                    superseded, try migrator.appliedIdentifiers(db).contains(ReplicaSchema.vaultMigration),
                    try !migrator.hasCompletedMigrations(db)
                )
            }
            guard !superseded else {
                throw StoreError(.tooNew, "this replica was written by a newer version of Waypost; update Waypost")
            }
            if pending {
                try migrator.migrate(database)
                if !encrypted {
                    // The plaintext the migration replaced may linger in free pages and the WAL.
                    try database.vacuum()
                    try database.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
                }
            }
            return try database.inDatabase { db in
                try ReplicaSchema.createViews(db, schema: schema)
                if let storageKey, verifyingTrustRows { try TrustSeal.verify(db, key: storageKey) }
                guard let data = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'node'"),
                    data.count == NodeID.byteCount
                else { throw StoreError(.database, "the replica at \(path) has no node id; it is damaged") }
                return NodeID(bytes: Array(data))
            }
        }
        return SQLiteReplica(
            database: database, localNode: node, schema: schema, storageKey: storageKey, wallClock: wallClock,
            pendingLimits: pendingLimits)
    }

    /// Creates an empty file at `path`, readable by its owner alone whatever the umask, failing if one is
    /// there: SQLite takes an empty file for a new database (and gives its `-wal` and `-shm` the same mode).
    ///
    /// - Throws: ``StoreError`` `alreadyExists` with `existing` as its message, `diskFull`, `database`.
    static func createOwnerOnlyFile(_ path: String, existing: String) throws(StoreError) {
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw StoreError(.alreadyExists, existing) }
            if errno == ENOSPC { throw StoreError.diskFull }
            throw StoreError(.database, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        _ = fchmod(descriptor, 0o600)
        close(descriptor)
    }

    /// Takes group and other permissions away from the replica's files, for replicas made by a Waypost
    /// that left them to the umask.
    private static func restrictToOwner(_ path: String) {
        for file in [path, path + "-wal", path + "-shm"] {
            var status = stat()
            if stat(file, &status) == 0, status.st_mode & 0o077 != 0 { _ = chmod(file, status.st_mode & 0o700) }
        }
    }

    /// Checks the tags of the rows that decide whom this node trusts and dials (``TrustSeal``), as opening
    /// with the key does unless told not to.
    ///
    /// - Throws: ``StoreError`` `tampered` naming the table changed by other means, `locked` without the key.
    public func verifyTrustRows() throws(StoreError) {
        let key = try unlockedStorageKey()
        try read { db in try TrustSeal.verify(db, key: key) }
    }

    /// Accepts the rows that decide whom this node trusts and dials as they are now, renewing their tags
    /// (``TrustSeal``): for a replica written before the tags, after an admin has checked the rows.
    ///
    /// - Throws: ``StoreError`` `locked` without the storage key.
    ///
    /// A replica from before the write gate (``WriteGate``) gets an open one too, since once the trust rows
    /// are tagged a missing gate counts as deleted.
    public func sealTrustRows() throws(StoreError) {
        let key = try unlockedStorageKey()
        let node = localNode
        try write { db in
            if try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [WriteGate.metaKey]) == nil {
                let own = try Int64.fetchOne(db, sql: "SELECT sequence FROM origins WHERE node = ?", arguments: [Data(node.bytes)]) ?? 0
                try WriteGate.write(.open, sequence: UInt64(max(0, own)), node: node, key: key, db)
            }
            try TrustSeal.renew(TrustSeal.tables, db, key: key)
        }
    }

    /// The storage key, or the error saying the passphrase is needed.
    func unlockedStorageKey() throws(StoreError) -> StorageKey {
        guard let storageKey else { throw StoreError.locked }
        return storageKey
    }

    /// Settings every connection to the replica starts with, before its first statement.
    ///
    /// `trusted_schema` is off (https://sqlite.org/pragma.html#pragma_trusted_schema): a trigger or view
    /// in the file can call no application function. The decrypting function is direct-only besides.
    static func prepare(_ db: Database, storageKey: StorageKey?, schema: Schema) throws {
        try db.execute(sql: "PRAGMA trusted_schema = OFF")
        // Overwrite deleted content with zeros (https://sqlite.org/pragma.html#pragma_secure_delete).
        try db.execute(sql: "PRAGMA secure_delete = ON")
        // Sorting or grouping decrypted values must not spill them to a temporary file.
        try db.execute(sql: "PRAGMA temp_store = MEMORY")
        if let storageKey { try ShownValueFunction.install(storageKey, in: db) }
    }

    private static func openDatabase(
        _ path: String, storageKey: StorageKey?, schema: Schema, maximumPageCount: Int?, exclusive: Bool = false
    ) throws(StoreError) -> DatabaseQueue {
        var configuration = Configuration()
        // Not `journalMode = .wal`: GRDB then writes a table and drops it on every open to make the WAL
        // file non-empty. The replica's WAL mode is set once by ``create(at:localNode:name:storageKey:schema:wallClock:maximumPageCount:)``.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            if exclusive { try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
            try prepare(db, storageKey: storageKey, schema: schema)
            // What GRDB's WAL mode sets (https://sqlite.org/pragma.html#pragma_synchronous).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // 16 MiB of page cache (the default is 2 MiB): a large merge then keeps its pages in memory
            // until it commits rather than spilling them to the WAL and reading them back.
            try db.execute(sql: "PRAGMA cache_size = -16384")
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
            // A full disk shows as SQLITE_FULL, or as SQLITE_IOERR_SHMSIZE when it strikes as SQLite sizes
            // the WAL index (https://sqlite.org/rescode.html#ioerr_shmsize).
            if error.resultCode == .SQLITE_FULL || error.extendedResultCode == .SQLITE_IOERR_SHMSIZE {
                throw StoreError(StoreError.diskFull.code, StoreError.diskFull.message, cause: error)
            }
            throw StoreError(.database, "the replica database failed: \(error.message ?? "\(error.resultCode)")", cause: error)
        } catch {
            throw StoreError(.database, "the replica database failed: \(error)")
        }
    }
}
