import Foundation
import GRDB
import Testing
import WaypostCrypto

@testable import WaypostCore
@testable import WaypostStore

/// Values are padded before they are sealed at rest (`Protocol/replica.md` §9.5): the file shows no
/// difference between two cases whose coded values differ, or whose names differ in length within a bucket.
@Suite struct ReplicaPaddingTests {
    let me = StoreFixtures.keys(1)

    /// The lengths of every blob in the database, per table and column (sorted: some tables have no row
    /// order): what a copy of the file shows of the sealed values.
    static func blobLengths(_ replica: SQLiteReplica) throws -> [String: [Int]] {
        try replica.database.read { db in
            var lengths: [String: [Int]] = [:]
            let tables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            for table in tables {
                let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String }
                for column in columns {
                    lengths["\(table).\(column)"] = try Int.fetchAll(
                        db,
                        sql: """
                            SELECT CASE typeof("\(column)") WHEN 'blob' THEN length("\(column)") ELSE -1 END
                            FROM "\(table)"
                            """
                    ).sorted()
                }
            }
            return lengths
        }
    }

    @Test("the vector of Protocol/replica.md §9.5: the value low, padded")
    func vector() throws {
        let hex = "ff6c6f7780" + String(repeating: "00", count: 27)
        #expect(Keyring.paddedValue("low").map { String(format: "%02x", $0) }.joined() == hex)
        #expect(try Keyring.value(inPadded: Keyring.paddedValue("low")) == "low")
        #expect(try Keyring.value(inPadded: Array("low".utf8)) == "low")
        let protocolText = try String(
            contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Protocol/replica.md").path, encoding: .utf8)
        #expect(protocolText.contains("<!-- vector: padded-value -->\n```\n\(hex)\n```"))
    }

    @Test(
        "two cases whose sex, risk level, status, codes and dates differ, and names within a bucket, leave equal lengths"
    )
    func differentValuesLookTheSame() throws {
        try withTemporaryDirectory { directory in
            let first = try StoreFixtures.replica(in: directory, "first", keys: me)
            let second = try StoreFixtures.replica(in: directory, "other", keys: StoreFixtures.keys(2))
            let record = try first.create(
                .caseFile,
                edits: StoreFixtures.edits(
                    "given_name=Li", "family_name=Wu", "sex=male", "risk_level=low", "status=open",
                    "date_of_birth=1991-04-12", "nationality=SY", "protection_needs+=SC-UC", "dob_estimated=false"),
                signer: me
            ).id
            try first.update(.caseFile, record, edits: StoreFixtures.edits("risk_level=high"), signer: me)
            let other = try second.create(
                .caseFile,
                edits: StoreFixtures.edits(
                    "given_name=Alexandra-Maria", "family_name=Haddad-Khoury", "sex=unknown", "risk_level=critical",
                    "status=transferred", "date_of_birth=2001-11-30", "nationality=AFG",
                    "protection_needs+=DS-BD-TRAUMA",
                    "dob_estimated=true"),
                signer: StoreFixtures.keys(2)
            ).id
            try second.update(
                .caseFile, other, edits: StoreFixtures.edits("risk_level=medium"), signer: StoreFixtures.keys(2))

            let lengths = try Self.blobLengths(first)
            #expect(lengths == (try Self.blobLengths(second)))
            #expect(lengths["changes.value"]?.count == 10)
            #expect(lengths["shown.doc"]?.count == 1)
            // Both hold what they were given.
            let shown = try #require(try second.view(.caseFile, other)?.json(schema: .waypost).canonical)
            #expect(shown.contains("Alexandra-Maria") && shown.contains("ds-bd-trauma") && shown.contains("medium"), "\(shown)")
        }
    }

    @Test("values of every length across the bucket boundaries read back as written, each sealed to its bucket")
    func everyLengthRoundTrips() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let names = [1, 29, 30, 31, 32, 33, 62, 63, 64, 65, 126, 127, 128, 200].map {
                String(repeating: "n", count: $0)
            }
            let notes = [254, 255, 256, 257, 510, 511, 512, 1022, 1023, 1024, 1500].map { count in
                String(repeating: "é", count: count / 2) + String(repeating: "x", count: count % 2)
            }
            var records: [(RecordID, String, String)] = []
            for (index, name) in names.enumerated() {
                let note = notes[index % notes.count]
                let id = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=\(name)"), signer: me).id
                try replica.update(.caseFile, id, edits: StoreFixtures.edits("notes+=\(note)"), signer: me)
                records.append((id, name, note))
            }
            for (id, name, note) in records {
                let view = try #require(try replica.view(.caseFile, id))
                let json = view.json(schema: .waypost).canonical
                #expect(json.contains("\"given_name\":\"\(name)\""), "\(name.count) bytes")
                #expect(json.contains(note), "\(note.utf8.count) bytes")
            }
            // The changes read back from the table (the history sent to peers) are what was written too.
            let arguments = try replica.changes(after: VersionVector()).changes.map(\.operation.argument)
            for (_, name, note) in records { #expect(arguments.contains(name) && arguments.contains(note)) }
            // Each value is its bucket (format byte, UTF-8, 80, zeros) and the 16-byte tag.
            let sealed = try replica.database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT field, length(value) AS length FROM changes WHERE field IN ('given_name', 'notes')"
                )
                .map { ($0["field"] as String, $0["length"] as Int) }
            }
            let expected = records.flatMap { [$0.1, $0.2] }.map {
                Padding.bucket(for: $0.utf8.count + 1) + ValueCipher.tagByteCount
            }
            #expect(sealed.map(\.1).sorted() == expected.sorted())
        }
    }

    @Test("a value or a record document whose padding was tampered with is refused as damaged")
    func tamperedPaddingIsDamaged() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let record = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me).id
            let storage = StorageKey(derivedFrom: me)
            let address = FieldAddress.RecordKey(collection: .caseFile, record: record)

            // The record's document, resealed under its key with a byte after the 80 of "Amina" set: the tag
            // verifies (whoever wrote it had the key), the padding does not.
            try replica.database.write { db in
                let keyring = Keyring(storage)
                let sealed = try #require(try Data.fetchOne(db, sql: "SELECT doc FROM shown"))
                var plain = try keyring.openRandomized(Array(sealed), of: address, associatedData: [], db)
                let name = Array("Amina".utf8) + [0x80]
                // Both copies: the shown value (read by the SQL views) and the live value (by the merge).
                let places = (0...(plain.count - name.count)).filter { Array(plain[$0..<($0 + name.count)]) == name }
                try #require(places.count == 2)
                for at in places { plain[at + name.count] = 1 }
                let resealed = try keyring.sealRandomized(plain, of: address, associatedData: [], db)
                try db.execute(sql: "UPDATE shown SET doc = ?", arguments: [Data(resealed)])
            }
            let view = #expect(throws: StoreError.self) { try replica.view(.caseFile, record) }
            #expect(view?.code == .damaged)
            #expect(throws: (any Error).self) {
                try replica.database.read { db in try String.fetchAll(db, sql: "SELECT given_name FROM cases") }
            }

            // A change's value: the format byte and text with no 80 byte, sealed with its dot's nonce.
            try replica.database.write { db in
                let keyring = Keyring(storage)
                let row = try #require(
                    try Row.fetchOne(db, sql: "SELECT origin, sequence, timestamp, field FROM changes"))
                let place = Keyring.Place(
                    record: address, origin: row["origin"], sequence: row["sequence"], field: row["field"],
                    timestamp: row["timestamp"])
                let key = try #require(try keyring.key(for: address, db, create: false))
                let bad = [Keyring.paddedValueFormat] + Array("Amina".utf8) + [UInt8](repeating: 0x20, count: 26)
                let nonce = Keyring.dotNonce(kind: 1, origin: place.origin, sequence: place.sequence)
                let sealed = bad.withUnsafeBytes { bad in
                    nonce.withUnsafeBytes { nonce in
                        place.associatedData.withUnsafeBytes {
                            ValueCipher.seal(bad, key: key, nonce: nonce, associatedData: $0)
                        }
                    }
                }
                try db.execute(
                    sql: "UPDATE changes SET value = ? WHERE origin = ? AND sequence = ?",
                    arguments: [Data(sealed), place.origin, place.sequence])
            }
            let history = #expect(throws: StoreError.self) { try replica.changes(after: VersionVector()) }
            #expect(history?.code == .damaged)
        }
    }

    @Test("values and documents sealed before padding still read, and a record's next change pads its document")
    func unpaddedValuesStillRead() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let record = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me).id
            let storage = StorageKey(derivedFrom: me)
            let address = FieldAddress.RecordKey(collection: .caseFile, record: record)
            // Rewrite the record as a Waypost before padding sealed it: the value's bare UTF-8, and a
            // document with a `t` text and unpadded live values, with no format byte.
            let unpaddedDocument = try replica.database.write { db in
                let keyring = Keyring(storage)
                let row = try #require(
                    try Row.fetchOne(
                        db, sql: "SELECT origin, sequence, timestamp, field FROM changes WHERE field = 'given_name'"))
                let place = Keyring.Place(
                    record: address, origin: row["origin"], sequence: row["sequence"], field: row["field"],
                    timestamp: row["timestamp"])
                let key = try #require(try keyring.key(for: address, db, create: false))
                let nonce = Keyring.dotNonce(kind: 1, origin: place.origin, sequence: place.sequence)
                let sealed = Array("Amina".utf8).withUnsafeBytes { plain in
                    nonce.withUnsafeBytes { nonce in
                        place.associatedData.withUnsafeBytes {
                            ValueCipher.seal(plain, key: key, nonce: nonce, associatedData: $0)
                        }
                    }
                }
                try db.execute(
                    sql: "UPDATE changes SET value = ? WHERE origin = ? AND sequence = ?",
                    arguments: [Data(sealed), place.origin, place.sequence])

                var document = ByteWriter()
                document.write(varint: 2)
                for (name, text) in [("given_name", "Amina"), ("status", "open")] {
                    document.write(string: name)
                    document.write(varint: 0)
                    document.write(UInt8(ascii: "t"))
                    document.write(string: text)
                }
                let live = try Row.fetchAll(
                    db, sql: "SELECT origin, sequence, timestamp, field FROM changes ORDER BY field")
                document.write(varint: UInt64(live.count))
                for change in live {
                    document.write(string: change["field"] as String)
                    document.write(varint: 1)
                    document.write(varint: UInt64(change["origin"] as Int64))
                    document.write(varint: UInt64(change["sequence"] as Int64))
                    document.write(bigEndian: UInt64(bitPattern: change["timestamp"] as Int64))
                    document.write(string: (change["field"] as String) == "given_name" ? "Amina" : "open")
                }
                document.write(varint: 0)
                let resealed = try keyring.sealRandomized(document.bytes, of: address, associatedData: [], db)
                try db.execute(sql: "UPDATE shown SET doc = ?", arguments: [Data(resealed)])
                return resealed.count
            }
            #expect(
                try replica.view(.caseFile, record)?.json(schema: .waypost).canonical.contains(
                    "\"given_name\":\"Amina\"") == true)
            #expect(try replica.changes(after: VersionVector()).changes.map(\.operation.argument).contains("Amina"))
            let rows = try replica.database.read { db in
                try String.fetchAll(db, sql: "SELECT given_name FROM cases")
            }
            #expect(rows == ["Amina"])

            try replica.update(.caseFile, record, edits: StoreFixtures.edits("risk_level=high"), signer: me)
            let json = try #require(try replica.view(.caseFile, record)?.json(schema: .waypost).canonical)
            #expect(json.contains("\"given_name\":\"Amina\"") && json.contains("\"risk_level\":\"high\""))
            let padded = try replica.database.read { db in try Int.fetchOne(db, sql: "SELECT length(doc) FROM shown") }
            #expect(try #require(padded) > unpaddedDocument)
            // Every text in it is padded now, the untouched given_name too: no bare "Amina" follows its length.
            let plain = try replica.database.read { db in
                let sealed = try #require(try Data.fetchOne(db, sql: "SELECT doc FROM shown"))
                return try Keyring(storage).openRandomized(Array(sealed), of: address, associatedData: [], db)
            }
            #expect(plain.first == RecordState.paddedFormat)
            func occurrences(_ needle: [UInt8]) -> Int {
                (0...(plain.count - needle.count)).filter { Array(plain[$0..<($0 + needle.count)]) == needle }.count
            }
            let name: [UInt8] = Array("Amina".utf8)
            #expect(occurrences([UInt8(ascii: "t"), 5] + name) == 0)
            #expect(occurrences(name + [0x80]) == 2)
        }
    }
}
