import Foundation
import GRDB
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// Each record's state in one sealed row (``RecordState``): written back in parts during a large merge,
/// and moved there from the `live` and `superseded` tables of a replica written before.
@Suite struct ReplicaRecordStateTests {
    let me = StoreFixtures.keys(1)
    let other = StoreFixtures.keys(2)

    /// A merge that touches more records than it holds at once writes them back in parts; a record
    /// changed both before and after one such write ends as a merge in one piece would leave it.
    @Test func aMergeLargerThanOneFlushShowsWhatARebuildShows() throws {
        try withTemporaryDirectory { directory in
            let writer = try StoreFixtures.replica(in: directory, "writer", keys: other)
            let reader = try StoreFixtures.replica(in: directory, "reader", keys: me)
            try StoreFixtures.trustEachOther([writer, reader])
            let count = ApplyContext.touchedRecordsPerFlush + 40
            let records = try (0..<count).map { index in try StoreFixtures.edits("given_name=Name-\(index)") }
            let ids = try writer.createMany(.caseFile, records: records, signer: other)
            // The first record changes again after every other record: in the reader's one transaction, it
            // is written back with the first part, then touched again.
            try writer.update(.caseFile, ids[0], edits: StoreFixtures.edits("given_name=Renamed", "risk_level=high"), signer: other)
            try writer.update(.caseFile, ids[count - 1], edits: StoreFixtures.edits("notes+=late note"), signer: other)

            let report = try reader.pull(from: writer)
            #expect(report.applied == (try writer.statistics().changes))
            let incremental = try viewRows(reader, "cases")
            #expect(incremental == (try viewRows(writer, "cases")))
            try reader.rebuildShownValues()
            #expect(try viewRows(reader, "cases") == incremental)
            let first = try #require(try reader.view(.caseFile, ids[0])).json(schema: .waypost).canonical
            #expect(first.contains("Renamed") && first.contains("high") && !first.contains("Name-0"))
            #expect(try reader.canonicalExport() == (try writer.canonicalExport()))
        }
    }

    /// A replica whose live values and overwritten-early dots are rows of `live` and `superseded`
    /// (migrations up to `v6-audit`) is converted when opened with its key: the same values show, the
    /// tables are gone, and a dot that was overwritten before it arrived stays overwritten when it does.
    @Test func liveAndSupersededRowsMoveIntoTheRecordState() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath()
            let storageKey = StorageKey(derivedFrom: me)
            let record = RecordID.random()
            let key = FieldAddress.RecordKey(collection: .caseFile, record: record)
            let mine = me.publicKey, theirs = other.publicKey
            do {
                let queue = try DatabaseQueue(path: path)
                try ReplicaSchema.migrator(storageKey: storageKey).migrate(queue, upTo: "v6-audit")
                try queue.write { db in
                    try db.execute(
                        sql: "INSERT INTO meta (key, value) VALUES ('node', ?), ('name', 'old'), ('clock', 0), ('created_at', 0)",
                        arguments: [Data(mine.bytes)])
                    try db.execute(
                        sql: "INSERT INTO origins (id, node, sequence, latest_timestamp) VALUES (1, ?, 2, 0), (2, ?, 0, 0)",
                        arguments: [Data(mine.bytes), Data(theirs.bytes)])
                    try db.execute(sql: "INSERT INTO peers (name, node, added_at) VALUES ('other', ?, 0)", arguments: [Data(theirs.bytes)])
                    try db.execute(sql: "INSERT INTO records (collection, record, created) VALUES (1, ?, 65536)", arguments: [record.text])
                    let keyring = Keyring(storageKey)
                    // Two concurrent values of given_name, both live; (theirs, 1) overwritten before it arrived.
                    for (origin, sequence, value) in [(Int64(1), Int64(1), "Amina"), (1, 2, "Aminah")] {
                        let timestamp = Int64(65536 * sequence)
                        let place = Keyring.Place(record: key, origin: origin, sequence: sequence, field: "given_name", timestamp: timestamp)
                        try db.execute(
                            sql: "INSERT INTO live (collection, record, field, origin, sequence, timestamp, value) VALUES (1, ?, 'given_name', ?, ?, ?, ?)",
                            arguments: [record.text, origin, sequence, timestamp, Data(try keyring.sealValue(value, at: place, db))])
                    }
                    try db.execute(
                        sql: "INSERT INTO superseded (collection, record, field, origin, sequence) VALUES (1, ?, 'given_name', 2, 1)",
                        arguments: [record.text])
                }
            }
            // Without the key it cannot be converted, and is left as it was.
            let locked = #expect(throws: StoreError.self) { try SQLiteReplica.open(at: path, storageKey: nil) }
            #expect(locked?.code == .locked)

            // A replica from before the trust rows were authenticated (``TrustSeal``) is converted, then
            // refused until an admin accepts its peers.
            let unsealed = #expect(throws: StoreError.self) {
                try SQLiteReplica.open(at: path, storageKey: storageKey, wallClock: ManualClock().wallClock)
            }
            #expect(unsealed?.code == .tampered && unsealed?.message.contains("waypost peer seal") == true)
            try SQLiteReplica.open(at: path, storageKey: storageKey, verifyingTrustRows: false).sealTrustRows()
            let replica = try SQLiteReplica.open(at: path, storageKey: storageKey, wallClock: ManualClock().wallClock)
            let tables = try readOnly(replica) { db in
                try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE name IN ('live', 'superseded')")
            }
            #expect(tables.isEmpty)
            let values = try #require(try replica.view(.caseFile, record)).conflicts.first { $0.field == "given_name" }?.values
            #expect(Set(values?.map(\.value) ?? []) == ["Amina", "Aminah"])

            // The overwritten dot arrives: it is not live.
            let late = Change(
                dot: Dot(origin: theirs, sequence: 1), timestamp: StoreFixtures.time(5), collection: .caseFile, record: record,
                field: "given_name", operation: .assign(value: "Late", supersedes: []))
            let head = ChangeChain.head(
                after: ChangeChain.genesis, leaf: ChangeChain.leaf(of: late, recordKey: [UInt8](repeating: 3, count: 32), introducesKey: true))
            var batch = ChangeBatch(changes: [late])
            batch.recordKeys[late.dot] = [UInt8](repeating: 3, count: 32)
            batch.signatures[late.dot] = ChangeChain.sign(at: late.dot, head: head, with: other)
            #expect(try replica.apply(batch).applied == 1)
            let after = try #require(try replica.view(.caseFile, record)).json(schema: .waypost).canonical
            #expect(!after.contains("Late"))
            #expect(after.contains("Amina"))
        }
    }
}
