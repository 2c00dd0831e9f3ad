import Foundation
import Testing

/// Revocation of a lost or seized node (`Protocol/trust.md` §7), through the built binary: a revoked
/// node is refused directly (at the handshake, both ways), through a relay, and through a bundle; a
/// revocation from a non-admin is refused and reported; the same revocation imported twice is stored once.
///
/// A is the admin that revokes; R is the lost node; B relays and takes A for an admin (`peer add
/// --admin`); R wrote a case (changes 1 and 2) that A holds, then, after the revocation, two more.
@Suite struct RevocationTests {
    struct Setup {
        let sandbox: Sandbox
        let a: TestNode
        let r: TestNode
        let b: TestNode
        /// R's case.
        let record: String

        /// Builds the three nodes, and, with `revoke`, has A revoke R and R write twice more.
        init(revoke: Bool = true) throws {
            sandbox = try Sandbox()
            a = try sandbox.node("a")
            r = try sandbox.node("r")
            b = try sandbox.node("b")
            try a.trust(r)
            try a.trust(b)
            try r.trust(a)
            try r.trust(b)
            try b.succeed(["peer", "add", "a", a.nodeID, "--admin"])
            try b.trust(r)
            record = try r.succeed(["case", "add", "given_name=Amina"])
            try a.succeed(["case", "add", "given_name=FromA"])
            #expect(try r.send(to: a)["applied"] as? Int == 2)
            guard revoke else { return }
            let revoked = try a.succeed(["network", "revoke", "r", "--reason", "laptop seized at the border"])
            #expect(revoked.contains("changes after 2 are refused"), "\(revoked)")
            #expect(revoked.contains("note: this node holds no admin certificate"), "\(revoked)")
            try r.succeed(["case", "set", record, "risk_level=high"])
            try r.succeed(["case", "note", record, "written after the revocation"])
        }

        /// R's highest sequence as `node` holds it.
        func sequenceOfR(on node: TestNode) throws -> Int? {
            let versions = try node.json(["status"]).jsonObject()["versions"] as? [String: Any]
            return versions?[r.nodeID] as? Int
        }
    }

    // MARK: Directly

    @Test func aRevokedNodeIsRefusedAtTheHandshakeBothWaysAndGetsNothing() throws {
        let setup = try Setup()
        let (a, r) = (setup.a, setup.r)
        let aBefore = try a.snapshot()
        let rBefore = try r.snapshot()

        // R dials A: A refuses it after the handshake, naming the revocation; nothing moves.
        let serveA = try ServeProcess(a)
        let dialled = try r.run(["sync", serveA.address])
        #expect(dialled.status == 5, "\(dialled)")
        #expect(dialled.stderr.contains("has revoked"), "\(dialled)")
        #expect(try eventually { serveA.log.contains("revoked") }, "\(serveA.log)")
        serveA.stop()

        // A dials R: A refuses before sending its id or anything else.
        let serveR = try ServeProcess(r)
        let dialling = try a.run(["sync", serveR.address])
        #expect(dialling.status == 5, "\(dialling)")
        #expect(dialling.stderr.contains("revoked") && dialling.stderr.contains("laptop seized"), "\(dialling)")
        #expect(!serveR.log.contains("connected"), "R never got past the handshake: \(serveR.log)")
        serveR.stop()

        #expect(try a.snapshot() == aBefore)
        #expect(try r.snapshot() == rBefore)
        #expect(try r.caseIDs() == [setup.record], "R got nothing of A's")
        #expect(try setup.sequenceOfR(on: a) == 2)
    }

    @Test func statusAndPeerListShowTheRevocation() throws {
        let setup = try Setup()
        let a = setup.a
        let status = try a.succeed(["status"])
        #expect(status.contains("revoked   r ("), "\(status)")
        #expect(status.contains("revoked by this node") && status.contains("\"laptop seized at the border\""), "\(status)")
        #expect(status.contains("its changes after 2 are refused"), "\(status)")
        let json = try a.json(["status"]).jsonObject()
        let revoked = try #require((json["revoked"] as? [[String: Any]])?.first, "\(json)")
        #expect(revoked["node"] as? String == setup.r.nodeID)
        #expect(revoked["revoked_by"] as? String == a.nodeID)
        #expect(revoked["reason"] as? String == "laptop seized at the border")
        #expect(revoked["last_accepted"] as? Int == 2)
        #expect(revoked["applied_before_revocation"] as? Int == 0)
        #expect(revoked["revoked_at"] is String)
        let peer = try #require((json["peers"] as? [[String: Any]])?.first { $0["name"] as? String == "r" })
        #expect(peer["revoked"] as? Bool == true)

        let list = try a.succeed(["peer", "list"])
        #expect(list.contains("REVOKED: revoked by this node"), "\(list)")
        #expect(list.contains("not trusted (was: pairwise (field))"), "\(list)")
        let entries = try a.json(["peer", "list"]).jsonArray().compactMap { $0 as? [String: Any] }
        let r = try #require(entries.first { $0["name"] as? String == "r" })
        #expect((r["revoked"] as? [String: Any])?["reason"] as? String == "laptop seized at the border")
        let b = try #require(entries.first { $0["name"] as? String == "b" })
        #expect(b["revoked"] is NSNull)
    }

    @Test func revokeRefusesWhatItCannotVouchFor() throws {
        let setup = try Setup(revoke: false)
        let a = setup.a
        let before = try a.snapshot()
        expectFailure(try a.run(["network", "revoke", a.nodeID, "--reason", "x"]), exitCode: 4, mentioning: ["itself"])
        expectFailure(
            try a.run(["network", "revoke", "r", "--reason", "x", "--last-accepted", "9"]), exitCode: 4,
            mentioning: ["only up to 2"])
        // R's case add made changes 1 and 2, signed at 2 only.
        expectFailure(
            try a.run(["network", "revoke", "r", "--reason", "x", "--last-accepted", "1"]), exitCode: 4,
            mentioning: ["no signature"])
        expectFailure(try a.run(["network", "revoke", "r", "--reason", ""]), exitCode: 4, mentioning: ["reason"])
        expectFailure(
            try a.run(["network", "revoke", "r", "--reason", String(repeating: "x", count: 257)]), exitCode: 4,
            mentioning: ["257 bytes"])
        expectFailure(try a.run(["network", "revoke", "nobody", "--reason", "x"]), exitCode: 3, mentioning: ["nobody"])
        #expect(try a.snapshot() == before)
        #expect((try a.json(["status"]).jsonObject()["revoked"] as? [Any])?.isEmpty == true)
        // By node id, with last accepted 0: none of R's changes count from now on, here (those held stay).
        let json = try a.json(["network", "revoke", setup.r.nodeID, "--reason", "stolen", "--last-accepted", "0"]).jsonObject()
        #expect(json["last_accepted"] as? Int == 0 && json["admin_of_a_network"] as? Bool == false)
        #expect((try a.json(["status"]).jsonObject()["revoked"] as? [Any])?.count == 1)
    }

    // MARK: Through a relay

    @Test func liveThroughARelayTheRevokedNodesLaterChangesAreRefusedAndTheRevocationSpreads() throws {
        let setup = try Setup()
        let (a, r, b) = (setup.a, setup.r, setup.b)
        // R syncs with B, which has not heard of the revocation: B applies all four of R's changes.
        let serveB = try ServeProcess(b)
        try r.succeed(["sync", serveB.address])
        #expect(try setup.sequenceOfR(on: b) == 4)
        serveB.stop()

        // B syncs with A: A refuses R's changes after 2, keeps the first two; B learns of the revocation.
        let serveA = try ServeProcess(a)
        let synced = try b.json(["sync", serveA.address]).jsonObject()
        #expect(synced["directives_stored"] as? Int == 1, "\(synced)")
        #expect(synced["directives_refused"] as? Int == 0)
        #expect(try setup.sequenceOfR(on: a) == 2)
        #expect(try a.field(setup.record, "risk_level") == nil)
        #expect(try a.field(setup.record, "given_name") == "Amina")
        #expect(try b.caseIDs().count == 2, "B got A's case")

        // B now refuses R too, and reports the changes it had applied before the revocation arrived.
        let status = try b.json(["status"]).jsonObject()
        let revoked = try #require((status["revoked"] as? [[String: Any]])?.first, "\(status)")
        #expect(revoked["revoked_by"] as? String == a.nodeID)
        #expect(revoked["applied_before_revocation"] as? Int == 2)
        #expect(try b.succeed(["status"]).contains("2 changes of r beyond the revocation point were applied before it arrived"))
        let serveB2 = try ServeProcess(b)
        let refused = try r.run(["sync", serveB2.address])
        #expect(refused.status == 5 && refused.stderr.contains("revoked"), "\(refused)")

        // And B passes on R's first two changes only: a third node, C, gets those and not the rest.
        let c = try setup.sandbox.node("c")
        try c.trust(b)
        try c.trust(r)
        try c.succeed(["peer", "add", "a", a.nodeID, "--admin"])
        try b.trust(c)
        let report = try c.json(["sync", serveB2.address]).jsonObject()
        #expect(report["directives_stored"] as? Int == 1, "\(report)")
        #expect(report["refused_beyond_revocation"] as? Int == 0, "B does not pass them on: \(report)")
        #expect(try setup.sequenceOfR(on: c) == 2)
        _ = serveA
    }

    // MARK: Through a bundle

    @Test func throughABundleTheRevokedSenderIsRefusedAndRelayedLaterChangesAreDropped() throws {
        let setup = try Setup()
        let (a, r, b) = (setup.a, setup.r, setup.b)

        // A bundle R made after its revocation: refused whole, naming R and the reason.
        let fromR = try r.export(to: a)
        let before = try a.snapshot()
        expectFailure(
            try a.run(["bundle", "import", fromR]), exitCode: 5,
            mentioning: [r.nodeID, "revoked", "laptop seized at the border", "nothing was applied"])
        #expect(try a.snapshot() == before)

        // The same changes relayed by B (which imported them before it heard of the revocation): A keeps
        // B's bundle, drops R's changes after 2, and says so.
        try b.importBundle(r.export(to: b))
        #expect(try setup.sequenceOfR(on: b) == 4)
        try b.succeed(["case", "add", "given_name=FromB"])
        let relayed = try b.export(to: a)
        let text = try a.succeed(["bundle", "import", relayed])
        #expect(text.contains("refused 2 changes of revoked nodes"), "\(text)")
        #expect(try setup.sequenceOfR(on: a) == 2)
        #expect(try a.caseIDs().count == 3, "A's, R's and B's cases")
        let json = try a.importBundle(relayed)
        #expect(json["refused_beyond_revocation"] as? Int == 2 && json["applied"] as? Int == 0)

        // A third node C that takes A for an admin: A's bundle brings the revocation, B's bundle R's
        // changes; C applies R's first two and refuses the rest.
        let c = try setup.sandbox.node("c")
        try c.trust(b)
        try c.trust(r)
        try c.succeed(["peer", "add", "a", a.nodeID, "--admin"])
        try a.trust(c)
        try b.trust(c)
        let fromA = try c.importBundle(a.export(to: c))
        #expect(fromA["directives_stored"] as? Int == 1 && (fromA["revoked"] as? [String]) == [r.nodeID], "\(fromA)")
        let fromB = try c.importBundle(b.export(to: c))
        #expect(fromB["refused_beyond_revocation"] as? Int == 2, "\(fromB)")
        #expect(try setup.sequenceOfR(on: c) == 2)
        #expect(try c.field(setup.record, "given_name") == "Amina" && c.field(setup.record, "risk_level") == nil)
    }

    // MARK: Who may revoke

    @Test func aRevocationFromANonAdminIsRefusedReportedAndChangesNothing() throws {
        let setup = try Setup(revoke: false)
        let (r, b) = (setup.r, setup.b)
        // X is a field node B trusts (pairwise, not admin); it signs a revocation of R.
        let x = try setup.sandbox.node("x")
        try x.trust(b)
        try b.trust(x)
        let issued = try x.succeed(["network", "revoke", r.nodeID, "--reason", "not my call", "--last-accepted", "0"])
        #expect(issued.contains("note: this node holds no admin certificate"))

        let before = try b.snapshot()
        let file = try x.export(to: b)
        let text = try b.succeed(["bundle", "import", file])
        #expect(text.contains("warning: refused 1 directive from non-admins"), "\(text)")
        let json = try b.importBundle(file)
        #expect(json["directives_refused"] as? Int == 1 && json["directives_stored"] as? Int == 0, "\(json)")
        #expect(json["refused_directive_issuers"] as? [String] == [x.nodeID])
        let after = try b.snapshot()
        #expect(after.cases == before.cases && after.changes == before.changes, "nothing changed")
        #expect((try b.json(["status"]).jsonObject()["revoked"] as? [Any])?.isEmpty == true)
        // R is still trusted: its bundle imports.
        #expect(try r.send(to: b)["applied"] as? Int == 2)

        // Live: B syncs with X, which holds the revocation: refused, and the sync says so.
        let serveX = try ServeProcess(x)
        let synced = try b.run(["sync", serveX.address])
        #expect(synced.status == 0, "\(synced)")
        #expect(synced.stdout.contains("refused 1 directive from non-admins"), "\(synced)")
        let again = try b.json(["sync", serveX.address]).jsonObject()
        #expect(again["directives_refused"] as? Int == 1)
        #expect((try b.json(["status"]).jsonObject()["revoked"] as? [Any])?.isEmpty == true)
        // B passes nothing of it on: C, which takes X for an admin, gets no directive from B.
        let c = try setup.sandbox.node("c")
        try c.trust(b)
        try c.succeed(["peer", "add", "x", x.nodeID, "--admin"])
        try c.trust(r)
        try b.trust(c)
        let fromB = try c.importBundle(b.export(to: c))
        #expect(fromB["directives"] as? Int == 0, "\(fromB)")
    }

    @Test func importingTheSameRevocationAgainStoresItOnce() throws {
        let setup = try Setup()
        let (a, b) = (setup.a, setup.b)
        let file = try a.export(to: b)
        let first = try b.importBundle(file)
        #expect(first["directives"] as? Int == 1 && first["directives_stored"] as? Int == 1, "\(first)")
        let afterFirst = try b.snapshot()
        let second = try b.importBundle(file)
        #expect(second["directives_stored"] as? Int == 0 && second["directives_refused"] as? Int == 0, "\(second)")
        #expect(second["revoked"] as? [String] == [])
        // A second export from A still carries one directive, and the revocation shows once.
        let third = try b.importBundle(a.export(to: b))
        #expect(third["directives"] as? Int == 1 && third["directives_stored"] as? Int == 0)
        let revoked = try #require(try b.json(["status"]).jsonObject()["revoked"] as? [[String: Any]])
        #expect(revoked.count == 1 && revoked.first?["revocations"] as? Int == 1)
        #expect(try b.snapshot().cases == afterFirst.cases)
    }
}
