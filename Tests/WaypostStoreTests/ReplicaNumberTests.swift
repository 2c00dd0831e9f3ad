import Foundation
import GRDB
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// Numbers SQLite's signed 64-bit INTEGER cannot hold (2^63 and up) never reach a conversion that traps
/// (issue 15, "Crash at will"): a change or a superseded dot past 2^63 - 1 from a trusted origin is
/// refused as `invalid` with nothing applied, a version vector entry past it is refused before anything
/// is written, and a negative number planted in the file is reported as damage.
@Suite struct ReplicaNumberTests {
    let aKeys = StoreFixtures.keys(41)
    let cKeys = StoreFixtures.keys(43)
    var a: NodeID { aKeys.publicKey }

    /// The values past the range, and the largest, 2^64 - 1.
    static let outOfRange: [UInt64] = [1 << 63, (1 << 63) + 1, (1 << 63) + 5, .max - 1, .max]

    /// C trusts A and holds A's first two changes.
    func receiver(in directory: URL) throws -> SQLiteReplica {
        let a = try StoreFixtures.replica(in: directory, "a", keys: aKeys)
        let c = try StoreFixtures.replica(in: directory, "c", keys: cKeys, trusting: [a.localNode])
        _ = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: aKeys)
        #expect(try c.pull(from: a).applied == 2)
        return c
    }

    /// A change of A's at `sequence` (``StoreFixtures/change(_:_:at:_:_:record:collection:)`` adds the
    /// sequence to its timestamp, which a sequence this large overflows).
    func change(_ sequence: UInt64, _ field: String, _ operation: WaypostCore.Operation) -> Change {
        Change(
            dot: Dot(origin: a, sequence: sequence), timestamp: StoreFixtures.time(10), collection: .caseFile,
            record: StoreFixtures.caseRecord, field: field, operation: operation)
    }

    /// A batch of one change, with a record key and a signature, as a forger would send it.
    static func batch(of change: Change, erased: Bool = false) -> ChangeBatch {
        ChangeBatch(
            changes: [change], recordKeys: [change.dot: [UInt8](repeating: 7, count: 32)],
            signatures: [change.dot: [UInt8](repeating: 9, count: 64)],
            erasedDigests: erased ? [change.dot: [UInt8](repeating: 3, count: 32)] : [:])
    }

    /// The attack: a change at sequence 2^63 + 1 (or any number past 2^63 - 1) naming a trusted
    /// origin. Before, it was held back and its sequence converted to `Int64`, which trapped.
    @Test(arguments: outOfRange)
    func aChangePastTheLargestSequenceNumberIsRefused(sequence: UInt64) throws {
        try withTemporaryDirectory { directory in
            let c = try receiver(in: directory)
            let change = change(sequence, "notes", .append(entry: "seen at the border"))
            let error = try expectRefusal(.invalid, applying: Self.batch(of: change), to: c, from: a)
            #expect(error?.message.contains("2^63 - 1") == true, "\(String(describing: error))")
            #expect(error?.message.contains("\(sequence)") == true, "\(String(describing: error))")
            // The same in erased form, which skips the schema's checks but not this one.
            try expectRefusal(.invalid, applying: Self.batch(of: change, erased: true), to: c, from: a)
        }
    }

    @Test func theLargestSequenceNumberIsAcceptedAndHeldBack() throws {
        try withTemporaryDirectory { directory in
            let c = try receiver(in: directory)
            let change = change(Dot.maximumSequence, "notes", .append(entry: "far ahead"))
            // Past the pending window (``PendingLimits``): accepted as a number, not held.
            let report = try c.apply(Self.batch(of: change), from: a)
            #expect(report.applied == 0 && report.notHeld == 1 && report.heldBack.isEmpty)
            #expect(try c.versions()[a] == 2)
            // With a window that reaches it, it is held, and the arithmetic on it does not overflow.
            let wide = try SQLiteReplica.open(
                at: directory.replicaPath("c"), storageKey: StorageKey(derivedFrom: cKeys),
                pendingLimits: PendingLimits(window: UInt64.max, total: 10))
            let held = try wide.apply(Self.batch(of: change), from: a)
            #expect(held.applied == 0)
            #expect(held.heldBack[a]?.expected == 3)
            #expect(try wide.versions()[a] == 2)
        }
    }

    @Test(arguments: outOfRange)
    func aSupersededDotPastTheLargestSequenceNumberIsRefused(sequence: UInt64) throws {
        try withTemporaryDirectory { directory in
            let c = try receiver(in: directory)
            let change = change(
                3, "given_name", .assign(value: "Aminah", supersedes: [Dot(origin: a, sequence: sequence)]))
            try expectRefusal(.invalid, applying: Self.batch(of: change), to: c, from: a)
        }
    }

    /// A peer's version vector past the range is refused before anything is written: the peer's and the
    /// contact's versions stay as they were. (The decoders refuse such vectors first; this is the store's
    /// own check.)
    @Test(arguments: outOfRange)
    func versionsPastTheLargestSequenceNumberAreNotRecorded(sequence: UInt64) throws {
        try withTemporaryDirectory { directory in
            let c = try receiver(in: directory)
            try c.recordSync(with: a, address: "127.0.0.1:7850", versions: VersionVector([a: 2]), caughtUp: true)
            let contacts = try c.contacts()
            let peers = try c.peers()
            let versions = VersionVector([a: 3, cKeys.publicKey: sequence])
            let synced = #expect(throws: StoreError.self) {
                try c.recordSync(with: a, address: "127.0.0.1:7851", versions: versions, caughtUp: true)
            }
            #expect(synced?.code == .invalid)
            let seen = #expect(throws: StoreError.self) { try c.recordSeen(by: a, versions) }
            #expect(seen?.code == .invalid)
            #expect(try c.contacts() == contacts)
            #expect(try c.peers() == peers)
        }
    }

    /// A negative sequence number written into the file by other means is damage, reported as such,
    /// rather than a trap when the origin table is loaded.
    @Test func aNegativeSequenceNumberInTheFileIsReportedAsDamage() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath("c")
            do {
                let c = try receiver(in: directory)
                try c.recordSync(with: a, address: "127.0.0.1:7850", versions: VersionVector([a: 2]), caughtUp: true)
            }
            try DatabaseQueue(path: path).write { db in
                try db.execute(sql: "UPDATE origins SET sequence = -5")
                try db.execute(sql: "UPDATE contact_versions SET sequence = -1")
            }
            let c = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: cKeys))
            let applying = #expect(throws: StoreError.self) {
                try c.apply(ChangeBatch(changes: StoreFixtures.notes(a, from: 3, count: 1)), from: a)
            }
            #expect(applying?.code == .damaged, "\(String(describing: applying))")
            let contacts = #expect(throws: StoreError.self) { try c.contacts() }
            #expect(contacts?.code == .damaged, "\(String(describing: contacts))")
            #expect(contacts?.message.contains("-1") == true)
        }
    }
}
