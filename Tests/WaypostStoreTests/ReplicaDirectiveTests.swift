import Foundation
import GRDB
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// What `SQLiteReplica.apply` does with admin directives (`Protocol/trust.md` §7): revocations from
/// admins take effect at once, for the rest of the same batch; directives from anyone else are refused
/// and counted; a revoked node's changes after its last accepted one are dropped wherever they come
/// from, and its bundles are refused whole.
///
/// R writes (and is lost); B relays; C receives, and takes M for an admin (pairwise); X is a trusted
/// field node.
@Suite struct ReplicaDirectiveTests {
    let rKeys = StoreFixtures.keys(21)
    let bKeys = StoreFixtures.keys(22)
    let cKeys = StoreFixtures.keys(23)
    let mKeys = StoreFixtures.keys(24)
    let xKeys = StoreFixtures.keys(25)

    struct Nodes {
        let r: SQLiteReplica
        let b: SQLiteReplica
        let c: SQLiteReplica
        /// R's case: created (changes 1 and 2, signed at 2), then written to again (3 to 6, signed at 6).
        let record: RecordID
    }

    /// R has written six changes, which B holds (with one case of its own); C holds none of them.
    func nodes(in directory: URL) throws -> Nodes {
        let r = try StoreFixtures.replica(in: directory, "r", keys: rKeys)
        let b = try StoreFixtures.replica(in: directory, "b", keys: bKeys, trusting: [rKeys.publicKey])
        let c = try StoreFixtures.replica(
            in: directory, "c", keys: cKeys, trusting: [rKeys.publicKey, bKeys.publicKey, xKeys.publicKey])
        try c.addPeer(named: "admin", node: mKeys.publicKey, role: .admin)
        let (record, created) = try r.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: rKeys)
        #expect(created.count == 2)
        let updated = try r.update(
            .caseFile, record, edits: StoreFixtures.edits("risk_level=high", "notes+=one", "notes+=two", "languages+=ar"),
            signer: rKeys)
        #expect(updated.count == 4)
        #expect(try b.pull(from: r).applied == 6)
        _ = try b.create(.caseFile, edits: StoreFixtures.edits("given_name=Omar"), signer: bKeys)
        return Nodes(r: r, b: b, c: c, record: record)
    }

    func revocation(of node: NodeID, after last: UInt64, by keys: SigningKeyPair, reason: String = "laptop seized", at time: UInt64 = 100)
        throws -> Directive
    {
        try Directive.issue(.revoke(node: node, lastAccepted: last), reason: reason, issuedAt: time, by: keys)
    }

    var r: NodeID { rKeys.publicKey }

    // MARK: Through a relay

    @Test func aRelayedBatchLosesTheRevokedNodesLaterChangesAndKeepsTheRest() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let revoke = try revocation(of: r, after: 2, by: mKeys)
            let batch = try nodes.b.changes(after: nodes.c.versions())
            #expect(batch.changes.filter { $0.dot.origin == r }.count == 6)
            let report = try nodes.c.apply(batch, directives: [revoke], from: bKeys.publicKey)
            // B's own two changes and R's first two apply; R's four later ones are refused.
            #expect(report.applied == 4)
            #expect(report.refusedBeyondRevocation == 4)
            #expect(report.directivesStored == 1 && report.directivesRefused == 0 && report.revoked == [r])
            #expect(try nodes.c.versions()[r] == 2 && nodes.c.versions()[bKeys.publicKey] == 2)
            #expect(try nodes.c.view(.caseFile, nodes.record)?.fields["risk_level"] == nil)
            #expect(try pendingCounts(nodes.c).isEmpty)
            let trust = try nodes.c.trust()
            #expect(!trust.trusts(r) && trust.lastAccepted(of: r) == 2 && trust.trusts(bKeys.publicKey))

            // Delivered again, even with the revocation: nothing more, and the revocation is not stored twice.
            let again = try nodes.c.apply(batch, directives: [revoke], from: bKeys.publicKey)
            #expect(again.applied == 0 && again.refusedBeyondRevocation == 4 && again.directivesStored == 0)
            #expect(again.duplicates == 4)
            #expect(try nodes.c.directives() == [revoke])
            // R's changes up to the revocation keep travelling from C; the later ones never left.
            let onward = try nodes.c.changes(after: VersionVector())
            #expect(onward.changes.filter { $0.dot.origin == r }.map(\.dot.sequence) == [1, 2])
            #expect(onward.signatures[Dot(origin: r, sequence: 2)] != nil)
        }
    }

    @Test func aBatchFromTheRevokedNodeIsRefusedWholeNamingItAndTheReason() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            try nodes.c.apply(ChangeBatch(), directives: [try revocation(of: r, after: 2, by: mKeys)])
            // Even its changes up to the revocation: the sender itself is refused.
            let fromR = try nodes.r.changes(after: VersionVector())
            let error = try expectRefusal(.untrusted, applying: fromR, to: nodes.c, from: r)
            #expect(error?.message.contains(r.description) == true)
            #expect(error?.message.contains("laptop seized") == true)
            // The same changes relayed by B: the first two apply.
            #expect(try nodes.c.apply(fromR, from: bKeys.publicKey).applied == 2)
        }
    }

    @Test func pendingChangesBeyondTheRevocationAreDiscarded() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let all = try nodes.r.changes(after: VersionVector())
            // Changes 3 to 6 arrive first: held back, their predecessors missing.
            let later = all.keeping { $0.dot.sequence > 2 }
            let held = try nodes.c.apply(later, from: bKeys.publicKey)
            #expect(held.heldBackCount == 4 && held.applied == 0)
            #expect(try pendingCounts(nodes.c) == [r: 4])
            let report = try nodes.c.apply(ChangeBatch(), directives: [try revocation(of: r, after: 2, by: mKeys)])
            #expect(report.discarded == 4 && report.revoked == [r])
            #expect(try pendingCounts(nodes.c).isEmpty)
            // When 1 and 2 arrive, they apply alone.
            #expect(try nodes.c.apply(all, from: bKeys.publicKey).applied == 2)
            #expect(try nodes.c.versions()[r] == 2 && pendingCounts(nodes.c).isEmpty)
        }
    }

    @Test func changesAppliedBeforeTheRevocationStayAndAreReportedButNotPassedOn() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            #expect(try nodes.b.changesBeyondRevocations().isEmpty)
            // B has applied all six of R's changes; then M's revocation reaches it (B takes M for an admin).
            try nodes.b.addPeer(named: "admin", node: mKeys.publicKey, role: .admin)
            try nodes.b.apply(ChangeBatch(), directives: [try revocation(of: r, after: 2, by: mKeys)])
            #expect(try nodes.b.versions()[r] == 6)
            #expect(try nodes.b.view(.caseFile, nodes.record)?.fields["risk_level"] != nil)
            #expect(try nodes.b.changesBeyondRevocations() == [r: 4])
            let onward = try nodes.b.changes(after: VersionVector())
            #expect(onward.changes.filter { $0.dot.origin == r }.map(\.dot.sequence) == [1, 2])
            #expect(onward.changes.filter { $0.dot.origin == bKeys.publicKey }.count == 2)
            // With a limit, the ceiling holds too, and the other origins still come.
            let limited = try nodes.b.changes(after: VersionVector([r: 1, bKeys.publicKey: 2]), limit: 1)
            #expect(limited.changes.map(\.dot) == [Dot(origin: r, sequence: 2)])
            #expect(try nodes.b.changes(after: VersionVector([r: 2, bKeys.publicKey: 2])).changes.isEmpty)
        }
    }

    // MARK: Who may issue

    @Test func aRevocationFromANonAdminIsRefusedCountedAndChangesNothing() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let byField = try revocation(of: r, after: 0, by: xKeys)
            let byStranger = try revocation(of: r, after: 0, by: StoreFixtures.keys(26))
            let batch = try nodes.b.changes(after: nodes.c.versions())
            let report = try nodes.c.apply(batch, directives: [byField, byStranger], from: bKeys.publicKey)
            #expect(report.directivesRefused == 2 && report.directivesStored == 0)
            #expect(report.refusedIssuers == [xKeys.publicKey, StoreFixtures.keys(26).publicKey])
            #expect(report.refusedBeyondRevocation == 0 && report.applied == 8 && report.revoked.isEmpty)
            #expect(try nodes.c.directives().isEmpty)
            #expect(try nodes.c.trust().trusts(r) && !nodes.c.isRevoked(r))
        }
    }

    @Test func aRevocationOfThisNodeIsKeptAndPassedOnWithoutEffect() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let ofC = try revocation(of: cKeys.publicKey, after: 0, by: mKeys)
            let report = try nodes.c.apply(ChangeBatch(), directives: [ofC])
            #expect(report.directivesStored == 1 && report.revoked.isEmpty)
            #expect(try nodes.c.directives() == [ofC])
            #expect(try nodes.c.trust().revokedNodes.isEmpty && !nodes.c.isRevoked(cKeys.publicKey))
            // C still writes and signs its own changes.
            _ = try nodes.c.create(.caseFile, edits: StoreFixtures.edits("given_name=Hawa"), signer: cKeys)
            #expect(try nodes.c.versions()[cKeys.publicKey] == 2)
        }
    }

    @Test func aRevokedAdminsLaterDirectivesAreRefusedAndItsEarlierOnesStay() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let byM = try revocation(of: xKeys.publicKey, after: 0, by: mKeys, at: 100)
            try nodes.c.apply(ChangeBatch(), directives: [byM])
            // C itself revokes M (issued later): M's next directive is refused.
            let ofM = try Directive.issue(.revoke(node: mKeys.publicKey, lastAccepted: 0), reason: "admin laptop stolen", issuedAt: 200, by: cKeys)
            #expect(try nodes.c.issue(ofM).revoked == [mKeys.publicKey])
            let report = try nodes.c.apply(ChangeBatch(), directives: [try revocation(of: r, after: 0, by: mKeys, at: 300)])
            #expect(report.directivesRefused == 1 && report.revoked.isEmpty)
            #expect(try nodes.c.trust().revokedNodes.sorted() == [xKeys.publicKey, mKeys.publicKey].sorted())
            // In one batch, directives are judged in issue order: the revocation of M counts before M's later one.
            let d = try StoreFixtures.replica(in: directory, "d", keys: StoreFixtures.keys(27))
            try d.addPeer(named: "c", node: cKeys.publicKey, role: .admin)
            try d.addPeer(named: "m", node: mKeys.publicKey, role: .admin)
            let mixed = try d.apply(ChangeBatch(), directives: [try revocation(of: r, after: 0, by: mKeys, at: 300), ofM, byM])
            #expect(mixed.directivesStored == 2 && mixed.directivesRefused == 1)
        }
    }

    @Test func issuingRequiresThisNodesSignature() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let error = #expect(throws: StoreError.self) { try nodes.c.issue(try revocation(of: r, after: 0, by: mKeys)) }
            #expect(error?.code == .invalid)
            #expect(try nodes.c.directives().isEmpty)
            let own = try revocation(of: r, after: 0, by: cKeys)
            #expect(try nodes.c.issue(own).directivesStored == 1)
            #expect(try nodes.c.issue(own).directivesStored == 0)
            #expect(try nodes.c.isRevoked(r))
        }
    }

    @Test func anEraseDirectiveFromANonAdminIsRefusedBeforeAnythingIsErased() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            try nodes.c.pull(from: nodes.b)
            let before = try nodes.c.canonicalExport()
            let erase = try Directive.issue(.erase(collection: .caseFile, record: nodes.record), reason: "request", issuedAt: 1, by: xKeys)
            let report = try nodes.c.apply(ChangeBatch(), directives: [erase])
            #expect(report.directivesRefused == 1 && report.refusedIssuers == [xKeys.publicKey])
            #expect(try nodes.c.canonicalExport() == before && nodes.c.directives().isEmpty)
        }
    }

    @Test func theMigrationAddsTheDirectivesTableToAnExistingReplica() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            try nodes.c.apply(ChangeBatch(), directives: [try revocation(of: r, after: 2, by: mKeys)])
            let reopened = try SQLiteReplica.open(at: directory.replicaPath("c"), storageKey: nil)
            #expect(try reopened.trust().lastAccepted(of: r) == 2)
            let columns = try reopened.database.read { db in try db.columns(in: "directives").map(\.name) }
            #expect(columns == ["id", "kind", "subject", "last_accepted", "issuer", "issued_at", "accepted", "received_at", "bytes"])
        }
    }
}
