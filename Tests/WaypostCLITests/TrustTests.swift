import Foundation
import Testing
import WaypostCore

/// Bundles are encrypted for their recipients and signed by their sender: a node imports only what is
/// addressed to it, from nodes it trusts, exactly as it was written; anything else is refused whole
/// (exit 5, one line on stderr) and changes nothing.
@Suite struct TrustTests {
    /// The post of ``Fixtures/sites``, which trusts the clinic and not the camp, in a sandbox of its own.
    struct Setup {
        let sites: Fixtures.Sites
        let sandbox: Sandbox
        let post: TestNode

        init() throws {
            sites = try Fixtures.sites.get()
            sandbox = try Sandbox()
            post = try sandbox.restore(sites.post)
        }

        /// Imports each of `bundles` (written to a file of its name), expecting each refused with exit
        /// code 5 and one line naming the file, its `words` and `common`; then expects the post's
        /// `status --json` and `case list --json` the same as before.
        func expectRefused(
            _ bundles: [(name: String, bytes: [UInt8], words: [String])], mentioning common: [String] = [],
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let files = try bundles.map { try sandbox.write($0.bytes, $0.name) }
            let before = try post.snapshot(sourceLocation: sourceLocation)
            for (file, bundle) in zip(files, bundles) {
                expectFailure(
                    try post.run(["bundle", "import", file]), exitCode: 5, mentioning: [file] + bundle.words + common,
                    sourceLocation: sourceLocation)
            }
            let after = try post.snapshot(sourceLocation: sourceLocation)
            #expect(after.changes == before.changes, sourceLocation: sourceLocation)
            #expect(after == before, sourceLocation: sourceLocation)
        }
    }

    @Test("a bundle for another node is refused, naming the node it is for; any node can say whom it is for")
    func aBundleForAnotherNodeIsRefused() throws {
        let setup = try Setup()
        try setup.expectRefused([
            (
                "for-camp.wpb", setup.sites.clinicToCamp,
                ["not for this node", shortID(setup.sites.campID), "nothing was imported"]
            )
        ])

        // The post is not a recipient, yet it can say whom the bundle is for, so it can pass it on.
        let file = setup.sandbox.path("for-camp.wpb")
        let text = try setup.post.succeed(["bundle", "recipients", file])
        #expect(text == "\(setup.sites.campID)  (\(shortID(setup.sites.campID)))")
        #expect(try setup.post.json(["bundle", "recipients", file]).jsonArray() as? [String] == [setup.sites.campID])
        // So can a recipient, which names itself, and a machine with no node at all.
        let forPost = try setup.sandbox.write(setup.sites.clinicToPost, "for-post.wpb")
        #expect(try setup.post.succeed(["bundle", "recipients", forPost]).hasSuffix("(this node)"))
        let nowhere = try setup.sandbox.home("no-node").run(["bundle", "recipients", "--json", file])
        #expect(nowhere.status == 0 && nowhere.stderr.isEmpty, "\(nowhere)")
        #expect(try nowhere.jsonArray() as? [String] == [setup.sites.campID])
    }

    @Test("a bundle from a node the importer does not trust is refused, naming that node")
    func aBundleFromAnUntrustedSenderIsRefused() throws {
        let setup = try Setup()
        try setup.expectRefused([("from-camp.wpb", setup.sites.campToPost, [setup.sites.campID, "does not trust"])])
        let trusted = try setup.post.json(["peer", "list"]).jsonArray().compactMap { ($0 as? [String: Any])?["node"] }
        #expect(trusted as? [String] == [setup.sites.clinicID])
    }

    @Test("a bundle with one byte flipped anywhere is refused: magic, version, recipients, key slot, contents")
    func aBundleWithOneByteFlippedIsRefused() throws {
        let setup = try Setup()
        let bundle = setup.sites.clinicToPost
        let size = bundle.count
        // "WAYPOSTB" 0-7 | version 8-9 | recipient count 10 | recipient id 11-42 | key slot 43-218 | stream.
        let positions = [0, 7, 8, 9, 10, 11, 26, 42, 43, 120, 218, 219, 240, size / 2, size - 40, size - 1]
        func words(_ position: Int) -> [String] {
            switch position {
            case 0..<8: ["not a Waypost bundle"]
            case 8..<10: ["version"]
            case 11..<43: ["not for this node"]
            case 43...: ["damaged"]
            default: []
            }
        }
        var flipped: [(name: String, bytes: [UInt8], words: [String])] = []
        for position in positions {
            var damaged = bundle
            damaged[position] ^= 0x20
            flipped.append(("flip-\(position).wpb", damaged, words(position)))
        }
        try setup.expectRefused(flipped, mentioning: ["nothing was imported"])
        // The refusals were the bundle's fault: the bytes as written import.
        let report = try setup.post.importBundle(setup.sandbox.write(bundle, "good.wpb"))
        #expect(report["sender"] as? String == setup.sites.clinicID)
        #expect((report["applied"] as? Int ?? 0) > 0 && report["applied"] as? Int == report["changes"] as? Int)
    }

    @Test("a bundle cut short anywhere is refused whole")
    func aTruncatedBundleIsRefused() throws {
        let setup = try Setup()
        let bundle = setup.sites.clinicToPost
        let size = bundle.count
        let cuts = [0, 5, 8, 9, 10, 11, 42, 43, 100, 218, 219, 230, size / 2, size - 17, size - 1]
        // Cut in the clear header, the message says how far the file got; later, the signature fails.
        func words(_ cut: Int) -> [String] {
            cut < 8 ? ["not a Waypost bundle"] : cut < 219 ? ["incomplete", "(\(cut) bytes)"] : ["damaged"]
        }
        try setup.expectRefused(
            cuts.map { ("cut-\($0).wpb", Array(bundle.prefix($0)), words($0)) }, mentioning: ["nothing was imported"])
    }

    @Test("the clear version field: a newer one asks for an update, version 1 (unsigned) is refused")
    func theVersionFieldIsChecked() throws {
        let setup = try Setup()
        func withVersion(_ version: UInt16) -> [UInt8] {
            var bytes = setup.sites.clinicToPost
            bytes[8] = UInt8(version >> 8)  // big-endian, after the 8-byte magic
            bytes[9] = UInt8(version & 0xFF)
            return bytes
        }
        #expect(withVersion(2) == setup.sites.clinicToPost, "the container's version is not 2 at bytes 8-9")
        try setup.expectRefused([
            ("v3.wpb", withVersion(3), ["version 3", "update Waypost"]),
            ("v99.wpb", withVersion(99), ["version 99", "update Waypost"]),
            ("v1.wpb", withVersion(1), ["version 1", "signed", "no longer accepted"]),
        ])
    }

    @Test("a replayed older bundle applies nothing new, and says so")
    func aReplayedOldBundleAppliesNothingNew() throws {
        let setup = try Setup()
        let older = try setup.sandbox.write(setup.sites.clinicToPost, "older.wpb")
        let later = try setup.sandbox.write(setup.sites.clinicToPostLater, "later.wpb")
        let first = try setup.post.importBundle(later)
        let changes = try #require(first["changes"] as? Int)
        #expect(first["applied"] as? Int == changes)
        let before = try setup.post.snapshot()

        let text = try setup.post.succeed(["bundle", "import", older])
        #expect(text.hasPrefix("nothing new: all \(changes - 1) changes were already in the replica"), "\(text)")
        let again = try setup.post.importBundle(older)
        #expect(again["applied"] as? Int == 0 && again["held_back"] as? Int == 0)
        #expect(again["duplicates"] as? Int == changes - 1)
        let after = try setup.post.snapshot()
        #expect(after.changes == before.changes)
        #expect(after.cases == before.cases)
    }

    @Test("no field value is in clear in a bundle file, nor its sender; the recipients are")
    func aBundleHoldsNoValueInClear() throws {
        let setup = try Setup()
        let values = Fixtures.clinicValues
        let clinic = try NodeID(parsing: setup.sites.clinicID).bytes
        let post = try NodeID(parsing: setup.post.nodeID).bytes
        for bundle in [setup.sites.clinicToPost, setup.sites.clinicToPostLater, setup.sites.clinicToCamp] {
            for value in values + ["second visit"] {
                #expect(!bundle.contains(5, of: Array(value.utf8)), "\(value) (or its start) is in clear")
            }
            #expect(!bundle.contains(bytes: clinic), "the sender's id is in clear")
        }
        // The search finds what is there: the recipient's id, by design.
        #expect(setup.sites.clinicToPost.contains(bytes: post))

        // And the values did travel: the post reads them once it imports the bundle.
        try setup.post.importBundle(setup.sandbox.write(setup.sites.clinicToPost, "for-post.wpb"))
        let cases = try setup.post.json(["case", "list"]).stdout + setup.post.json(["service", "list"]).stdout
        for value in values { #expect(cases.contains(value), "\(value) did not arrive") }
    }

    @Test("A's changes reach C through a bundle B exported after importing A's; C needs to trust A")
    func changesTravelThroughARelayFromATrustedOrigin() throws {
        let sandbox = try Sandbox()
        let a = try sandbox.node("a")
        let b = try sandbox.node("b")
        let c = try sandbox.node("c")
        try a.pair(with: b)
        try b.pair(with: c)
        let aID = a.nodeID

        let id = try a.succeed(["case", "add", "given_name=Yusuf", "risk_level=high"])
        try a.succeed(["case", "note", id, "written at a"])
        try a.send(to: b)
        try b.succeed(["case", "note", id, "written at b"])
        let relayed = try b.export(to: c)

        // C trusts B, the sender, but not yet A, whose changes B passes on: A's are skipped, naming A,
        // and B's own apply.
        let skipped = try c.run(["bundle", "import", relayed])
        #expect(skipped.status == 0, "\(skipped)")
        #expect(skipped.stdout.contains(aID) && skipped.stdout.contains("does not trust"), "\(skipped)")
        let firstReport = try c.importBundle(relayed)
        let skippedCount = try #require((firstReport["untrusted_origins"] as? [String: Any])?[aID] as? Int)
        #expect(skippedCount > 0 && firstReport["applied"] as? Int == 0, "B's changes applied the first time: \(firstReport)")

        try c.trust(a)
        let report = try c.importBundle(relayed)
        #expect(report["sender"] as? String == b.nodeID)
        #expect(report["applied"] as? Int == skippedCount, "A's changes apply once A is trusted: \(report)")
        let onC = try c.json(["case", "show", id])
        let fields = try #require(try onC.jsonObject()["fields"] as? [String: Any])
        #expect(fields["given_name"] as? String == "Yusuf")
        #expect(
            (fields["notes"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == [
                "written at a", "written at b",
            ])
        #expect(try b.json(["case", "show", id]).stdoutData == onC.stdoutData)
        // C holds every change A wrote, under A's origin, signed by A, though A never wrote to C.
        let log = try c.json(["log", id]).jsonArray().compactMap { $0 as? [String: Any] }
        let fromA = log.filter { $0["origin"] as? String == aID }
        #expect(fromA.compactMap { $0["sequence"] as? Int }.sorted() == Array(1...fromA.count), "\(log)")
        #expect(
            Set(fromA.compactMap { $0["field"] as? String }).isSuperset(of: ["given_name", "risk_level", "notes"]),
            "\(log)")
        #expect(log.contains { $0["origin"] as? String == b.nodeID && $0["value"] as? String == "written at b" })

        // Once A hears from C, the same state is on all three.
        try a.trust(c)
        try a.importBundle(c.export(to: a))
        #expect(try a.json(["case", "show", id]).stdoutData == onC.stdoutData)
    }
}
