import Foundation
import Testing

/// Every reader's `--json` prints one JSON document with the documented keys.
@Suite struct JSONOutputTests {
    /// A node with a peer, a case in conflict and a service, after one exchange each way.
    struct Setup {
        let sandbox: Sandbox
        let post: TestNode
        let clinic: TestNode
        let caseID: String
        let serviceID: String
        /// What `bundle import --json` printed for the clinic's bundle.
        let importReport: [String: Any]

        init() throws {
            sandbox = try Sandbox()
            (post, clinic) = try sandbox.pair()
            caseID = try post.succeed(["case", "add", "given_name=Amina", "languages+=ar"])
            serviceID = try post.succeed(["service", "add", "name=Shelter", "occupied+=2"])
            try post.send(to: clinic)
            try post.succeed(["case", "set", caseID, "risk_level=high"])
            try post.succeed(["case", "note", caseID, "a note"])
            try clinic.succeed(["case", "set", caseID, "risk_level=low"])
            importReport = try clinic.send(to: post)
        }
    }

    /// Expects `object` to have exactly `keys`.
    func expectKeys(
        _ object: Any?, _ keys: Set<String>, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let object = object as? [String: Any] else {
            Issue.record("\(what) is not an object: \(String(describing: object))", sourceLocation: sourceLocation)
            return
        }
        #expect(Set(object.keys) == keys, "\(what)", sourceLocation: sourceLocation)
    }

    @Test("status --json and peer list --json")
    func statusAndPeersJSON() throws {
        let setup = try Setup()
        let status = try setup.post.json(["status"]).jsonObject()
        expectKeys(
            status, ["node", "name", "records", "changes", "conflicts", "versions", "peers", "revoked", "clock_warnings"],
            "status")
        #expect((status["revoked"] as? [Any])?.isEmpty == true)
        #expect(status["node"] as? String == setup.post.nodeID)
        #expect(status["name"] as? String == "post")
        expectKeys(status["records"], ["case", "service"], "status.records")
        #expect((status["records"] as? [String: Any])?["case"] as? Int == 1)
        #expect((status["changes"] as? Int ?? 0) > 0)
        #expect(status["conflicts"] as? Int == 1)
        #expect((status["versions"] as? [String: Any])?.count == 2)
        #expect((status["clock_warnings"] as? [Any])?.isEmpty == true)
        let peers = try #require(status["peers"] as? [Any])
        try #require(peers.count == 1)
        expectKeys(
            peers[0],
            [
                "name", "node", "trust", "address", "last_address", "last_seen_at", "last_synced_at", "last_import_at", "lacks",
                "we_lack", "revoked",
            ],
            "status.peers[0]")
        #expect((peers[0] as? [String: Any])?["name"] as? String == "clinic")

        let peerList = try setup.post.json(["peer", "list"]).jsonArray()
        try #require(peerList.count == 1)
        expectKeys(
            peerList[0],
            ["name", "node", "address", "role", "trust", "added_at", "last_import_at", "last_export_at", "seen", "revoked"],
            "peer")
        #expect((peerList[0] as? [String: Any])?["revoked"] is NSNull)
        let peer = try #require(peerList[0] as? [String: Any])
        #expect(peer["node"] as? String == setup.clinic.nodeID)
        #expect(peer["role"] as? String == "field")
        let grants = try #require(peer["trust"] as? [[String: Any]])
        try #require(grants.count == 1, "\(grants)")
        expectKeys(grants[0], ["kind", "role"], "peer.trust[0]")
        #expect(grants[0]["kind"] as? String == "pairwise" && grants[0]["role"] as? String == "field")
        #expect(peer["last_import_at"] is String && peer["last_export_at"] is String)

        expectKeys(
            setup.importReport,
            [
                "sender", "changes", "applied", "duplicates", "held_back", "discarded", "origins_ahead", "directives",
                "directives_stored", "directives_refused", "refused_directive_issuers", "revoked", "refused_beyond_revocation", "erased_records", "dropped_for_erasure",
                "withheld_values", "not_held", "untrusted_origins", "certificates_refused",
            ], "import")
        #expect(setup.importReport["directives_refused"] as? Int == 0)
        #expect(setup.importReport["sender"] as? String == setup.clinic.nodeID)
        #expect(setup.importReport["applied"] as? Int == 1)

        // A node without peers prints an empty array, not text.
        let alone = try setup.sandbox.node("alone")
        #expect(try alone.json(["peer", "list"]).jsonArray().isEmpty)
        #expect(try alone.json(["conflicts"]).output == "[]")
        #expect(try alone.json(["case", "list"]).output == "[]")

        // --home works as well as $WAYPOST_HOME, and wins over it.
        let viaOption = try setup.sandbox.run(
            ["status", "--json", "--home", setup.clinic.home], environment: ["WAYPOST_HOME": setup.post.home])
        try #require(viaOption.status == 0, "\(viaOption)")
        #expect(try viaOption.jsonObject()["name"] as? String == "clinic")
    }

    @Test("log --json, case list --json, case show --json and conflicts --json")
    func recordReadersJSON() throws {
        let setup = try Setup()
        let log = try setup.post.json(["log"]).jsonArray()
        #expect(!log.isEmpty)
        for entry in log {
            expectKeys(
                entry,
                ["origin", "sequence", "at", "collection", "record", "field", "operation", "value", "supersedes"],
                "log entry")
        }
        let entries = log.compactMap { $0 as? [String: Any] }
        #expect(entries.contains { $0["field"] as? String == "notes" && $0["value"] as? String == "a note" })
        let limited = try setup.post.json(["log", "--limit", "2"]).jsonArray()
        #expect(limited.count == 2)
        let ofService = try setup.post.json(["log", setup.serviceID]).jsonArray().compactMap { $0 as? [String: Any] }
        #expect(!ofService.isEmpty && ofService.allSatisfy { $0["record"] as? String == setup.serviceID })

        let cases = try setup.post.json(["case", "list"]).jsonArray()
        try #require(cases.count == 1)
        expectKeys(cases[0], ["id", "collection", "fields", "conflicts"], "case")
        let view = try #require(cases[0] as? [String: Any])
        #expect(view["id"] as? String == setup.caseID)
        #expect(view["collection"] as? String == "case")
        let fields = try #require(view["fields"] as? [String: Any])
        #expect(fields["given_name"] as? String == "Amina")
        #expect(fields["status"] as? String == "open")  // the schema's default
        #expect(fields["languages"] as? [String] == ["ar"])
        expectKeys(view["conflicts"], ["risk_level"], "case.conflicts")

        let shown = try setup.post.json(["case", "show", setup.caseID]).jsonObject()
        #expect(NSDictionary(dictionary: shown).isEqual(to: view))
        let services = try setup.post.json(["service", "list"]).jsonArray()
        expectKeys(services.first, ["id", "collection", "fields", "conflicts"], "service")

        let conflicts = try setup.post.json(["conflicts"]).jsonArray()
        try #require(conflicts.count == 1)
        expectKeys(conflicts[0], ["collection", "record", "field", "values"], "conflict")
        let values = try #require((conflicts[0] as? [String: Any])?["values"] as? [Any])
        #expect(values.count == 2)
        for value in values { expectKeys(value, ["at", "origin", "sequence", "value"], "conflict value") }

        // The clinic has not seen the post's value yet: nothing in conflict there, an empty array.
        #expect(try setup.clinic.json(["conflicts"]).output == "[]")
    }
}
