import Foundation
import GRDB
public import WaypostCore

extension SQLiteReplica {
    /// This node's retention policy, or nil when none is set (`Protocol/replica.md` §11).
    ///
    /// Needs no storage key: the policy holds no personal data.
    ///
    /// - Throws: ``StoreError`` `damaged` if the stored value is not a valid number of days.
    ///
    /// The value is stored in clear with a tag keyed with the storage key (``RetentionPolicy/tag(days:key:)``):
    /// opened with its key, the replica checks the tag, so that someone who can write the database file but
    /// lacks the passphrase cannot make this node erase cases; without the key, the value is only shown.
    public func retentionPolicy() throws(StoreError) -> RetentionPolicy? {
        let (stored, tag) = try read { db in
            (
                try DatabaseValue.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [RetentionPolicy.metaKey]),
                try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [RetentionPolicy.tagKey])
            )
        }
        guard let stored, !stored.isNull else { return nil }
        guard let days = Int.fromDatabaseValue(stored), let policy = try? RetentionPolicy(closedForDays: days) else {
            throw StoreError(
                .damaged,
                "the retention policy stored in the replica is not a number of days from 1 to \(RetentionPolicy.maximumDays); "
                    + "set it again with 'waypost retention set case --closed-for DAYS', or remove it with '--clear'")
        }
        if let storageKey, tag.map(Array.init) != RetentionPolicy.tag(days: days, key: storageKey) {
            throw StoreError(
                .damaged,
                "the retention policy in the replica was not set by this node (its tag does not match): it may have been "
                    + "altered in the file; nothing was erased; set it again with 'waypost retention set case --closed-for DAYS'")
        }
        return policy
    }

    /// Sets this node's retention policy, replacing any other; nil removes it. The policy is not synced.
    ///
    /// - Throws: ``StoreError`` `locked` without the storage key, which the policy's tag is keyed with.
    public func setRetentionPolicy(_ policy: RetentionPolicy?) throws(StoreError) {
        let storage = try unlockedStorageKey()
        try write { db in
            if let policy {
                let upsert = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                try db.execute(sql: upsert, arguments: [RetentionPolicy.metaKey, policy.closedForDays])
                try db.execute(
                    sql: upsert,
                    arguments: [RetentionPolicy.tagKey, Data(RetentionPolicy.tag(days: policy.closedForDays, key: storage))])
            } else {
                try db.execute(
                    sql: "DELETE FROM meta WHERE key IN (?, ?)", arguments: [RetentionPolicy.metaKey, RetentionPolicy.tagKey])
            }
        }
    }

    /// The cases due for erasure under `policy` at `now` (milliseconds since the epoch; by default the
    /// replica's wall clock), by id.
    ///
    /// A case is due when its `status` register holds exactly one live value, that value is `closed`, and
    /// both it was written (its ``WaypostCore/HybridTimestamp``, on the clock of the node that wrote it) and
    /// this node learned of it (``ArrivalTable``, on this node's clock) before ``RetentionPolicy/cutoff(now:)``:
    /// a closing backdated by its writer counts from when it arrived here. A case whose status is in conflict is never due, even when every
    /// concurrent value is `closed`: the conflict says people disagree about it, so the retention period
    /// starts when someone resolves it (`waypost resolve`). A case reopened and closed again counts from
    /// its last closing.
    ///
    /// Every case's state is opened (its status is sealed with it), so the cost follows the number of
    /// cases, not of candidates.
    public func casesDue(under policy: RetentionPolicy, now: UInt64? = nil) throws(StoreError) -> [RecordID] {
        let storage = try unlockedStorageKey()
        let cutoffMilliseconds = policy.cutoff(now: now ?? wallClock())
        let cutoff = HybridTimestamp(milliseconds: cutoffMilliseconds)
        let collection = RecordCollection.caseFile
        return try read { db in
            let keyring = Keyring(storage)
            var due: [RecordID] = []
            for record in try String.fetchAll(
                db, sql: "SELECT record FROM records WHERE collection = ? ORDER BY record", arguments: [Int64(collection.rawValue)])
            {
                let key = FieldAddress.RecordKey(collection: collection, record: RecordID(canonical: record))
                guard let state = try RecordStateRow.load(key, db, keyring: keyring) else { continue }
                let status = state.live[RetentionPolicy.statusField] ?? []
                guard status.count == 1, status[0].value == "closed", status[0].timestamp < cutoff.rawValue else { continue }
                // The writer's timestamp alone is its word: the period also counts from when this node learned.
                let learned = try ArrivalTable.learnedAt(
                    origin: status[0].dot.origin, sequence: status[0].dot.sequence, key: storage, db)
                if learned < cutoffMilliseconds { due.append(key.record) }
            }
            return due
        }
    }
}
