import Foundation
import Testing
import WaypostCore
import WaypostCrypto
import WaypostNode
import WaypostStore

/// Retention through the built binary: `retention set`, `show` and `run` erase exactly the cases closed
/// for longer than the policy says, and `serve` applies the policy on its own.
///
/// The cases are written in the past by opening the node's replica in the test with a wall clock set back
/// (what a node whose cases were closed weeks ago holds), so the binary runs at the real time, with no
/// test-only hook for "now".
@Suite struct RetentionTests {
    static let day: Double = 86_400_000

    /// Writes to `node`'s replica as if `daysAgo` days before now. Must come before any write at the real
    /// time: the hybrid clock never goes back.
    static func write<T>(on node: TestNode, daysAgo: Double, _ body: (SQLiteReplica, SigningKeyPair) throws -> T) throws
        -> T
    {
        let home = NodeHome(explicit: node.home)
        let keys = try Node.open(home: home).signingKeys(passphrase: { WaypostProcess.passphrase })
        let then = UInt64(Date().timeIntervalSince1970 * 1000 - daysAgo * day)
        let replica = try SQLiteReplica.open(
            at: home.replicaPath, storageKey: StorageKey(derivedFrom: keys), wallClock: { then })
        return try body(replica, keys)
    }

    static func edit(_ text: String) throws -> [Edit] {
        [try Edit(parsing: text, in: Schema.waypost[.caseFile])]
    }

    /// A case created `daysAgo` days ago with `status`.
    static func create(on node: TestNode, daysAgo: Double, status: String) throws -> String {
        try write(on: node, daysAgo: daysAgo) { replica, keys in
            try replica.create(.caseFile, edits: edit("status=\(status)"), signer: keys).id.text
        }
    }

    /// The cases of a node with a history: open since 100 days ago, closed 60 and reopened 50 days ago,
    /// closed 40 days ago, closed 10 days ago, and closed just now (through the binary).
    struct Cases {
        let open: String, reopened: String, closed40: String, closed10: String, closedNow: String
        var all: Set<String> { [open, reopened, closed40, closed10, closedNow] }
    }

    static func cases(on node: TestNode) throws -> Cases {
        let open = try create(on: node, daysAgo: 100, status: "open")
        let reopened = try create(on: node, daysAgo: 60, status: "closed")
        try write(on: node, daysAgo: 50) { replica, keys in
            _ = try replica.update(.caseFile, RecordID(canonical: reopened), edits: edit("status=open"), signer: keys)
        }
        let closed40 = try create(on: node, daysAgo: 40, status: "closed")
        let closed10 = try create(on: node, daysAgo: 10, status: "closed")
        let closedNow = try node.succeed(["case", "add", "status=closed", "given_name=Today"])
        return Cases(open: open, reopened: reopened, closed40: closed40, closed10: closed10, closedNow: closedNow)
    }

    @Test("retention erases exactly the cases past their time")
    func retentionRunErasesExactlyTheCasesPastTheirTime() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("post")
        let cases = try Self.cases(on: node)
        #expect(Set(try node.caseIDs()) == cases.all)

        let none = try node.succeed(["retention", "run"])
        #expect(none.contains("no retention policy: nothing erased"), "\(none)")
        #expect(try node.json(["retention", "show"]).jsonObject()["case"] is NSNull)

        let set = try node.succeed(["retention", "set", "case", "--closed-for", "30"])
        #expect(set.contains("cases closed for more than 30 days are erased"), "\(set)")
        let shown = try node.json(["retention", "show"]).jsonObject()
        #expect((shown["case"] as? [String: Any])?["closed_for_days"] as? Int == 30)

        let run = try node.succeed(["retention", "run"])
        let lines = run.split(separator: "\n").map(String.init)
        #expect(lines.first == cases.closed40, "\(run)")
        #expect(lines.count == 2 && lines[1].hasPrefix("erased 1 case closed for more than 30 days"), "\(run)")
        #expect(Set(try node.caseIDs()) == cases.all.subtracting([cases.closed40]))
        let show = try node.run(["case", "show", cases.closed40])
        #expect(show.status == 3, "the erased case is gone: \(show)")
        #expect(
            try node.succeed(["sql", "SELECT count(*) FROM cases WHERE id = '\(cases.closed40)'", "--reason", "test"])
                .contains("0"))

        let again = try node.json(["retention", "run"]).jsonObject()
        #expect(again["erased"] as? [String] == [])
        #expect(again["closed_for_days"] as? Int == 30)
        #expect(try node.succeed(["retention", "run"]).contains("no case is due"))

        // A shorter period reaches the case closed 10 days ago, never the open, reopened or just-closed ones.
        try node.succeed(["retention", "set", "case", "--closed-for", "5"])
        let shorter = try node.json(["retention", "run"]).jsonObject()
        #expect(shorter["erased"] as? [String] == [cases.closed10])
        #expect(Set(try node.caseIDs()) == [cases.open, cases.reopened, cases.closedNow])

        // 'retention show' lists what retention erased (serve's log gives only counts), oldest first.
        let listed = try node.json(["retention", "show"]).jsonObject()["erased"] as? [[String: Any]] ?? []
        #expect(listed.map { $0["id"] as? String } == [cases.closed40, cases.closed10])
        #expect(try node.succeed(["retention", "show"]).contains("erased by retention at "))

        try node.succeed(["retention", "set", "case", "--clear"])
        #expect(try node.json(["retention", "show"]).jsonObject()["case"] is NSNull)
    }

    @Test func badRetentionInputIsRefusedWithOneLine() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("post")
        for (arguments, code, message) in [
            (["retention", "set", "service", "--closed-for", "30"], Int32(2), "retention applies to cases only"),
            (["retention", "set", "case"], 2, "give either --closed-for DAYS or --clear"),
            (
                ["retention", "set", "case", "--closed-for", "30", "--clear"], 2,
                "give either --closed-for DAYS or --clear"
            ),
            (["retention", "set", "case", "--closed-for", "0"], 4, "from 1 to 36500 days"),
        ] {
            let result = try node.run(arguments)
            #expect(result.status == code, "\(result)")
            #expect(result.stderr.hasPrefix("waypost: ") && result.stderr.contains(message), "\(result)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result)")
        }
        #expect(try node.json(["retention", "show"]).jsonObject()["case"] is NSNull, "nothing was set")
    }

    @Test func serveAppliesThePolicyAtStartAndThenOnItsInterval() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("post")
        let closed40 = try Self.create(on: node, daysAgo: 40, status: "closed")
        let open = try Self.create(on: node, daysAgo: 40, status: "open")
        // No policy when serve starts: a run later, after the policy is set while serving, erases the case.
        let serve = try ServeProcess(node, arguments: ["--retention-interval", "0.3", "--log-level", "debug"])
        #expect(eventually(within: 20) { serve.log.contains("retention: no policy set") }, "\(serve.log)")
        try node.succeed(["retention", "set", "case", "--closed-for", "30"])
        #expect(eventually(within: 20) { serve.log.contains("erased=1") }, "\(serve.log)")
        #expect(eventually(within: 20) { serve.log.contains("retention applied") && serve.log.contains("erased=0") })
        #expect(serve.isRunning)
        #expect(serve.stop() == 0)
        #expect(!serve.log.contains(closed40), "serve logs no case id")
        #expect(try node.caseIDs() == [open])
    }
}
