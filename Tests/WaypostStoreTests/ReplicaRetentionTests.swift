import Foundation
import GRDB
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// Retention (`Protocol/replica.md` §11): the policy is kept in the replica, and exactly the cases whose
/// status has been `closed`, without conflict, for longer than the period are due.
@Suite struct ReplicaRetentionTests {
    let aKeys = StoreFixtures.keys(61)
    let bKeys = StoreFixtures.keys(62)
    static let day = RetentionPolicy.dayMilliseconds

    /// A node's cases, written on a manual clock over 100 days; "now" is day 100.
    struct History {
        let a: SQLiteReplica
        let clock: ManualClock
        /// Created on day 0 and never changed: open, last updated 100 days ago.
        let open: RecordID
        /// Closed on day 50, reopened on day 55.
        let reopened: RecordID
        /// Closed on day 60 on A while B set it to transferred on day 59, unsynced: a conflict whose shown
        /// value is `closed`.
        let conflicted: RecordID
        /// Closed on day 60: 40 days ago.
        let closed40: RecordID
        /// Closed on day 20, reopened on day 25, closed again on day 75: 25 days ago.
        let reclosed: RecordID
        /// Closed on day 90: 10 days ago.
        let closed10: RecordID
        /// Day 100, the time the tests judge at.
        var now: UInt64 { StoreFixtures.baseMilliseconds + 100 * day }
    }

    func history(in directory: URL) throws -> History {
        let clock = ManualClock()
        let bClock = ManualClock()
        let a = try StoreFixtures.replica(in: directory, "a", keys: aKeys, clock: clock, trusting: [bKeys.publicKey])
        let b = try StoreFixtures.replica(in: directory, "b", keys: bKeys, clock: bClock, trusting: [aKeys.publicKey])
        func at(_ days: UInt64) { clock.set(StoreFixtures.baseMilliseconds + days * Self.day) }

        at(0)
        let (open, _) = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Open"), signer: aKeys)
        at(20)
        let (reclosed, _) = try a.create(.caseFile, edits: StoreFixtures.edits("status=closed"), signer: aKeys)
        at(25)
        _ = try a.update(.caseFile, reclosed, edits: StoreFixtures.edits("status=open"), signer: aKeys)
        at(50)
        let (reopened, _) = try a.create(.caseFile, edits: StoreFixtures.edits("status=closed"), signer: aKeys)
        at(55)
        _ = try a.update(.caseFile, reopened, edits: StoreFixtures.edits("status=open"), signer: aKeys)
        at(58)
        let (conflicted, _) = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Disputed"), signer: aKeys)
        _ = try b.pull(from: a)
        bClock.set(StoreFixtures.baseMilliseconds + 59 * Self.day)
        _ = try b.update(.caseFile, conflicted, edits: StoreFixtures.edits("status=transferred"), signer: bKeys)
        at(60)
        _ = try a.update(.caseFile, conflicted, edits: StoreFixtures.edits("status=closed"), signer: aKeys)
        let (closed40, _) = try a.create(.caseFile, edits: StoreFixtures.edits("status=closed"), signer: aKeys)
        _ = try a.pull(from: b)
        at(75)
        _ = try a.update(.caseFile, reclosed, edits: StoreFixtures.edits("status=closed"), signer: aKeys)
        at(90)
        let (closed10, _) = try a.create(.caseFile, edits: StoreFixtures.edits("status=closed"), signer: aKeys)
        at(100)
        return History(
            a: a, clock: clock, open: open, reopened: reopened, conflicted: conflicted, closed40: closed40,
            reclosed: reclosed,
            closed10: closed10)
    }

    @Test("retention erases exactly the cases past their time")
    func exactlyTheCasesPastTheirTimeAreDue() throws {
        try withTemporaryDirectory { directory in
            let history = try history(in: directory)
            let a = history.a
            // The conflicted case shows `closed`, and is in conflict.
            let disputed = try #require(try a.view(.caseFile, history.conflicted))
            guard case .register(let values) = disputed.fields["status"] else {
                Issue.record("status is not a register")
                return
            }
            #expect(values.map(\.value) == ["closed", "transferred"])

            let thirty = try RetentionPolicy(closedForDays: 30)
            #expect(try a.casesDue(under: thirty) == [history.closed40], "the replica's wall clock reads day 100")
            #expect(try a.casesDue(under: thirty, now: history.now) == [history.closed40])
            let five = try RetentionPolicy(closedForDays: 5)
            #expect(
                Set(try a.casesDue(under: five)) == [history.closed40, history.reclosed, history.closed10],
                "neither the open, the reopened nor the conflicted case is ever due")
            #expect(try a.casesDue(under: RetentionPolicy(closedForDays: 45)).isEmpty)

            // Erasing the due case (as `Node.applyRetention` does) leaves nothing due and the others whole.
            let erase = try Directive.issue(
                .erase(collection: .caseFile, record: history.closed40), reason: thirty.erasureReason,
                issuedAt: history.now, by: aKeys)
            #expect(try a.issue(erase).erasedRecords == 1)
            #expect(try a.casesDue(under: thirty).isEmpty)
            #expect(
                Set(try a.views(.caseFile).map(\.id))
                    == [history.open, history.reopened, history.conflicted, history.reclosed, history.closed10])
        }
    }

    @Test func aCaseIsDueOnlyOnceMoreThanThePeriodHasPassed() throws {
        try withTemporaryDirectory { directory in
            let history = try history(in: directory)
            let closedAt = StoreFixtures.baseMilliseconds + 60 * Self.day
            let thirty = try RetentionPolicy(closedForDays: 30)
            #expect(try history.a.casesDue(under: thirty, now: closedAt + 30 * Self.day).isEmpty)
            #expect(try history.a.casesDue(under: thirty, now: closedAt + 30 * Self.day + 1) == [history.closed40])
            #expect(
                try history.a.casesDue(under: thirty, now: 0).isEmpty, "a clock before the period is no reason to erase"
            )
        }
    }

    @Test func thePolicyIsKeptInTheReplicaAndReadableWithoutTheKey() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: aKeys)
            #expect(try replica.retentionPolicy() == nil)
            try replica.setRetentionPolicy(RetentionPolicy(closedForDays: 30))
            try replica.setRetentionPolicy(RetentionPolicy(closedForDays: 365))
            let locked = try SQLiteReplica.open(at: directory.replicaPath(), storageKey: nil)
            #expect(try locked.retentionPolicy()?.closedForDays == 365)
            #expect(throws: StoreError.self) { try locked.casesDue(under: RetentionPolicy(closedForDays: 1)) }
            try replica.setRetentionPolicy(nil)
            #expect(try locked.retentionPolicy() == nil)
            try replica.setRetentionPolicy(nil)  // clearing twice is fine
        }
    }

    @Test(arguments: [0, -1, RetentionPolicy.maximumDays + 1])
    func aPeriodOutOfRangeIsRefused(_ days: Int) {
        #expect {
            try RetentionPolicy(closedForDays: days)
        } throws: { error in
            (error as? StoreError)?.code == .invalid
                && (error as? StoreError)?.message.contains("from 1 to 36500 days") == true
        }
    }

    @Test func aDamagedPolicyIsReportedNotGuessed() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: aKeys)
            try replica.database.write { db in
                try db.execute(
                    sql: "INSERT INTO meta (key, value) VALUES (?, 'thirty')", arguments: [RetentionPolicy.metaKey])
            }
            #expect {
                try replica.retentionPolicy()
            } throws: { error in
                (error as? StoreError)?.message.contains("waypost retention set case") == true
            }
        }
    }

    /// Someone who can write the database file but lacks the passphrase cannot make the node erase: a policy
    /// altered in the file fails its tag, so nothing is due, while a replica without the key still shows it.
    @Test func aPolicyAlteredInTheFileIsRefusedBeforeAnythingIsErased() throws {
        try withTemporaryDirectory { directory in
            let history = try history(in: directory)
            try history.a.setRetentionPolicy(RetentionPolicy(closedForDays: 3650))
            try history.a.database.write { db in
                try db.execute(sql: "UPDATE meta SET value = 1 WHERE key = ?", arguments: [RetentionPolicy.metaKey])
            }
            #expect {
                try history.a.retentionPolicy()
            } throws: { error in
                (error as? StoreError)?.code == .damaged && (error as? StoreError)?.message.contains("not set by this node") == true
            }
            let locked = try SQLiteReplica.open(at: directory.replicaPath("a"), storageKey: nil)
            #expect(try locked.retentionPolicy()?.closedForDays == 1)
            try history.a.setRetentionPolicy(RetentionPolicy(closedForDays: 1))
            #expect(try history.a.retentionPolicy()?.closedForDays == 1)
        }
    }

    @Test("a case a field node closes with its clock set years back counts from when this node learned of it")
    func aBackdatedClosingCountsFromItsArrival() throws {
        try withTemporaryDirectory { directory in
            let clock = ManualClock(), bClock = ManualClock()
            let a = try StoreFixtures.replica(in: directory, "a", keys: aKeys, clock: clock, trusting: [bKeys.publicKey])
            let b = try StoreFixtures.replica(in: directory, "b", keys: bKeys, clock: bClock, trusting: [aKeys.publicKey])
            let policy = try RetentionPolicy(closedForDays: 30)
            // B's clock reads five years ago: the case it registers closed carries that time, validly signed.
            bClock.set(StoreFixtures.baseMilliseconds - 5 * 365 * Self.day)
            let (record, closing) = try b.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina", "status=closed"), signer: bKeys)
            #expect(closing.allSatisfy { $0.timestamp < HybridTimestamp(milliseconds: StoreFixtures.baseMilliseconds - 4 * 365 * Self.day) })
            clock.set(StoreFixtures.baseMilliseconds + Self.day)
            try a.pull(from: b)
            // The writer's timestamp is years past the period; this node learned of it a day ago.
            #expect(try a.casesDue(under: policy).isEmpty)
            #expect(try a.casesDue(under: policy, now: StoreFixtures.baseMilliseconds + 30 * Self.day).isEmpty)
            #expect(try a.casesDue(under: policy, now: StoreFixtures.baseMilliseconds + 32 * Self.day) == [record])
            // B itself, which wrote it, counts from when it wrote it: what it learned locally.
            #expect(try b.casesDue(under: policy, now: StoreFixtures.baseMilliseconds).count == 1)
        }
    }

    @Test("an arrival time backdated in the file is refused, not believed")
    func aBackdatedArrivalInTheFileIsRefused() throws {
        try withTemporaryDirectory { directory in
            let history = try history(in: directory)
            let policy = try RetentionPolicy(closedForDays: 30)
            #expect(try history.a.casesDue(under: policy, now: history.now) == [history.closed40].sorted())
            try history.a.write { db in try db.execute(sql: "UPDATE arrivals SET learned_at = 0") }
            let error = #expect(throws: StoreError.self) { try history.a.casesDue(under: policy, now: history.now) }
            #expect(error?.code == .tampered && error?.message.contains("arrivals") == true)
        }
    }
}
