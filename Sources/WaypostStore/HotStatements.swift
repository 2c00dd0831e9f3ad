import GRDB

/// The statements a merge runs once per change or once per record, each prepared at most once per
/// transaction and then found by its number.
///
/// GRDB's `cachedStatement(sql:)` hashes and compares the whole SQL text on every call; in a
/// 1,000,000-change import that lookup alone cost more than a tenth of the time (callgrind, issue #5).
final class HotStatements {
    /// A statement of the merge path.
    enum Query: Int, CaseIterable {
        case insertChange, insertRecordKey, selectRecordKey, insertSignature
        case selectCreated, insertRecord, updateCreated
        case selectShown, replaceShown, selectVaultKey, insertVaultKey

        var sql: String {
            switch self {
            case .insertChange:
                """
                INSERT INTO changes (origin, sequence, timestamp, collection, record, field, operation, value, supersedes, digest)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
            case .insertRecordKey:
                "INSERT INTO record_keys (origin, collection, record, key, introduced) VALUES (?, ?, ?, ?, ?)"
            case .selectRecordKey:
                "SELECT key, introduced FROM record_keys WHERE origin = ? AND collection = ? AND record = ?"
            case .insertSignature:
                "INSERT OR REPLACE INTO signatures (origin, sequence, signature) VALUES (?, ?, ?)"
            case .selectCreated:
                "SELECT created FROM records WHERE collection = ? AND record = ?"
            case .insertRecord:
                "INSERT INTO records (collection, record, created) VALUES (?, ?, ?)"
            case .updateCreated:
                "UPDATE records SET created = ? WHERE collection = ? AND record = ?"
            case .selectShown:
                "SELECT doc FROM shown WHERE collection = ? AND record = ?"
            case .replaceShown:
                "INSERT OR REPLACE INTO shown (collection, record, doc, conflicted) VALUES (?, ?, ?, ?)"
            case .selectVaultKey:
                "SELECT key FROM record_vault WHERE collection = ? AND record = ?"
            case .insertVaultKey:
                "INSERT INTO record_vault (collection, record, key) VALUES (?, ?, ?)"
            }
        }
    }

    private var prepared = [Statement?](repeating: nil, count: Query.allCases.count)

    /// The statement of `query`, prepared on first use (from GRDB's cache, so across transactions too).
    func callAsFunction(_ query: Query, _ db: Database) throws -> Statement {
        if let statement = prepared[query.rawValue] { return statement }
        let statement = try db.cachedStatement(sql: query.sql)
        prepared[query.rawValue] = statement
        return statement
    }
}
