import Foundation
import GRDB
import Testing
import WaypostCrypto

@testable import WaypostCore
@testable import WaypostStore

/// Entries (household members, referrals) named by key prefix in local writes: a typing mistake in a key
/// is refused rather than made into a new entry (issue 15 §4), and an entry can be removed.
@Suite struct ReplicaEntryTests {
    let me = StoreFixtures.keys(1)

    private func caseWithEntries(_ replica: SQLiteReplica, _ keys: [String]) throws -> RecordID {
        let record = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me).id
        for (index, text) in keys.enumerated() {
            let key = try EntryKey(parsing: text)
            _ = try replica.update(
                .caseFile, record, edits: StoreFixtures.edits("household.\(text).given_name=Member\(index)"), addingEntry: key,
                signer: me)
        }
        return record
    }

    private func household(_ replica: SQLiteReplica, _ record: RecordID) throws -> Set<String> {
        let json = try #require(try replica.view(.caseFile, record)).fieldsJSON(schema: .waypost)
        guard case .object(let entries)? = json["household"] else { return [] }
        return Set(entries.keys)
    }

    @Test("an entry named by the first characters of its key is edited; an unknown or ambiguous prefix changes nothing")
    func entriesAreFoundByPrefix() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let record = try caseWithEntries(replica, ["hciro4ab", "hcx7zz22", "qqqq2345"])
            let changes = try replica.update(.caseFile, record, edits: StoreFixtures.edits("household.qqqq.sex=female"), signer: me)
            #expect(changes.map(\.field) == ["household.qqqq2345.sex"])
            let before = try replica.statistics()

            let unknown = #expect(throws: StoreError.self) {
                try replica.update(.caseFile, record, edits: StoreFixtures.edits("household.hciro5.given_name=Lina"), signer: me)
            }
            #expect(unknown?.code == .notFound)
            #expect(unknown?.message.contains("hciro4ab, hcx7zz22, qqqq2345") == true, "\(String(describing: unknown))")
            // A refused edit takes the whole write with it: the valid edit beside it is not written either.
            #expect(throws: StoreError.self) {
                try replica.update(.caseFile, record, edits: StoreFixtures.edits("given_name=X", "household.hc22.given_name=Lina"), signer: me)
            }
            #expect(try replica.statistics().changes == before.changes)
            _ = try replica.update(.caseFile, record, edits: StoreFixtures.edits("household.hcx7.given_name=Lina"), signer: me)
            #expect(try household(replica, record) == ["hciro4ab", "hcx7zz22", "qqqq2345"])
            #expect(try replica.statistics().changes == before.changes + 1, "the refused writes wrote nothing")
        }
    }

    @Test("a prefix that several entries share is refused, naming them")
    func aSharedPrefixIsAmbiguous() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let record = try caseWithEntries(replica, ["abcd2222", "abcd3333"])
            let error = #expect(throws: StoreError.self) {
                try replica.update(.caseFile, record, edits: StoreFixtures.edits("household.abcd.sex=male"), signer: me)
            }
            #expect(error?.code == .ambiguous)
            #expect(error?.message.contains("abcd2222, abcd3333") == true)
            // A new record has no entries: an entry field written when it is made must come from 'case entry'.
            #expect(throws: StoreError.self) {
                try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=B", "household.abcd2222.sex=male"), signer: me)
            }
        }
    }

    @Test("a removed entry is no longer shown; a member edited concurrently elsewhere brings it back with that value")
    func removedEntriesAndConcurrentEdits() throws {
        try withTemporaryDirectory { directory in
            let other = StoreFixtures.keys(2)
            let a = try StoreFixtures.replica(in: directory, "a", keys: me, trusting: [other.publicKey])
            let b = try StoreFixtures.replica(in: directory, "b", keys: other, trusting: [me.publicKey])
            let record = try caseWithEntries(a, ["lina2345", "omar2345"])
            try b.pull(from: a)

            let removed = try a.removeEntry(.caseFile, record, field: "household", key: try EntryKey(parsing: "lina"), signer: me)
            #expect(removed.key.text == "lina2345" && removed.changes.count == 1)
            #expect(try household(a, record) == ["omar2345"])
            #expect(try a.removeEntry(.caseFile, record, field: "household", key: try EntryKey(parsing: "lina"), signer: me).changes.isEmpty)
            // The SQL view agrees with the record's view.
            let shown = try readOnly(a) { db in try String.fetchOne(db, sql: "SELECT household FROM cases") }
            #expect(shown?.contains("lina2345") == false && shown?.contains("omar2345") == true)

            // Meanwhile b, which had not seen the removal, gave Lina a date of birth.
            _ = try b.update(.caseFile, record, edits: StoreFixtures.edits("household.lina.date_of_birth=2015-03-01"), signer: other)
            try a.pull(from: b)
            try b.pull(from: a)
            #expect(try household(a, record) == ["lina2345", "omar2345"])
            #expect(try a.view(.caseFile, record) == (try b.view(.caseFile, record)))
        }
    }
}
