import Foundation
import GRDB
import Testing
import WaypostCore

/// `waypost audit`: the access log records every look at personal data and holds no value of it; `verify`
/// finds a change altered in the database file and names its origin and sequence.
@Suite struct AuditTests {
    @Test("every command that shows personal data is in the access log, with who, what and why, and no value")
    func accessLogRecordsEveryLook() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let amina = try post.succeed(["case", "add", "given_name=Amina-Farouk-Secret"])
        let omar = try post.succeed(["case", "add", "given_name=Omar"])
        #expect(try post.json(["audit", "access"]).jsonArray().isEmpty, "writing is not looking")

        try post.succeed(["case", "show", amina, "--reason", "referral to legal aid"])
        try post.succeed(["case", "list"])
        try post.succeed(["sql", "SELECT id, given_name FROM cases WHERE id = '\(omar)'"])
        try post.succeed(["log", amina])
        try post.succeed(["bundle", "export", "--all", "--out", sandbox.path("backup.wpb"), "--reason", "weekly backup"])

        let entries = try post.json(["audit", "access"]).jsonArray().compactMap { $0 as? [String: Any] }
        #expect(entries.map { $0["command"] as? String } == ["case show", "case list", "sql", "log", "bundle export"])
        #expect(entries[0]["records"] as? [String] == [amina])
        #expect(entries[0]["reason"] as? String == "referral to legal aid")
        #expect(entries[1]["scope"] as? String == "all 2 case records")
        #expect(entries[2]["records"] as? [String] == [omar])
        #expect(entries[2]["scope"] as? String == "1 row")
        #expect(entries[3]["records"] as? [String] == [amina])
        #expect(entries[4]["reason"] as? String == "weekly backup")
        let user = try #require(entries[0]["user"] as? String)
        #expect(!user.isEmpty)
        #expect(entries.allSatisfy { $0["node"] as? String == post.nodeID && ($0["at"] as? String)?.hasPrefix("20") == true })
        #expect(entries.map { $0["number"] as? Int } == [1, 2, 3, 4, 5])

        // No value reaches the log: not its text output, not its JSON, not the SQL that named a value.
        try post.succeed(["sql", "SELECT id FROM cases WHERE given_name = 'Amina-Farouk-Secret'"])
        let text = try post.succeed(["audit", "access"])
        let json = try post.json(["audit", "access"]).stdout
        for output in [text, json] { #expect(!output.contains("Amina-Farouk-Secret") && !output.contains("given_name")) }

        // Append-only, even to someone with the database file.
        let path = post.home + "/replica.sqlite"
        for statement in ["DELETE FROM access_log", "UPDATE access_log SET user = 'nobody'"] {
            #expect(throws: DatabaseError.self) { try DatabaseQueue(path: path).write { db in try db.execute(sql: statement) } }
        }
        #expect(try post.json(["audit", "access"]).jsonArray().count == 6)
    }

    /// A node that wrote some changes and merged another node's; `tamper` then alters its database file.
    func tamperedNode(_ tamper: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (TestNode, TestNode, WaypostResult) {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let clinic = try sandbox.node("clinic")
        try post.trust(clinic)
        try clinic.trust(post)
        let id = try clinic.succeed(["case", "add", "given_name=Hawa", "family_name=Diallo"])
        try clinic.succeed(["case", "set", id, "risk_level=high"])
        try clinic.send(to: post)
        try post.succeed(["case", "note", id, "seen at the post"])
        let clean = try post.run(["audit", "verify"])
        #expect(clean.status == 0 && clean.stdout.contains("every chain is intact"), "\(clean)", sourceLocation: sourceLocation)
        let json = try post.json(["audit", "verify"]).jsonObject()
        #expect(json["intact"] as? Bool == true, sourceLocation: sourceLocation)
        try DatabaseQueue(path: post.home + "/replica.sqlite").write { db in
            try db.execute(sql: tamper, arguments: [Data(try NodeID(parsing: clinic.nodeID).bytes)])
            #expect(db.changesCount == 1, "the tamper changed \(db.changesCount) rows", sourceLocation: sourceLocation)
        }
        return (post, clinic, try post.run(["audit", "verify", "--json"]))
    }

    static func problem(_ result: WaypostResult, origin: String) throws -> [String: Any]? {
        let json = try result.jsonObject()
        let origins = json["origins"] as? [[String: Any]] ?? []
        return origins.first { $0["origin"] as? String == origin }?["problem"] as? [String: Any]
    }

    @Test("audit verify names a change whose time was altered in the file")
    func alteredTimeIsNamed() throws {
        let (post, clinic, result) = try tamperedNode(
            "UPDATE changes SET timestamp = timestamp + 65536 WHERE sequence = 2 AND origin = (SELECT id FROM origins WHERE node = ?)")
        #expect(result.status == 5, "\(result)")
        let problem = try #require(try Self.problem(result, origin: clinic.nodeID))
        #expect(problem["sequence"] as? Int == 2)
        #expect((problem["reason"] as? String)?.contains("altered") == true)
        #expect(try Self.problem(result, origin: post.nodeID) == nil, "the post's own chain is intact")
        let text = try post.run(["audit", "verify"])
        #expect(text.status == 5 && text.stdout.contains("BROKEN") && text.stdout.contains("change 2"), "\(text)")
    }

    @Test("audit verify names a change removed from the file")
    func removedChangeIsNamed() throws {
        let (_, clinic, result) = try tamperedNode(
            "DELETE FROM changes WHERE sequence = 1 AND origin = (SELECT id FROM origins WHERE node = ?)")
        #expect(result.status == 5)
        let problem = try #require(try Self.problem(result, origin: clinic.nodeID))
        #expect(problem["sequence"] as? Int == 1)
        #expect((problem["reason"] as? String)?.contains("missing") == true)
    }

    @Test("audit verify finds an operation altered in the file at the signature that covers it")
    func alteredOperationBreaksTheSignature() throws {
        let (_, clinic, result) = try tamperedNode(
            "UPDATE changes SET operation = 2 WHERE sequence = 1 AND origin = (SELECT id FROM origins WHERE node = ?)")
        #expect(result.status == 5)
        let problem = try #require(try Self.problem(result, origin: clinic.nodeID))
        #expect((problem["reason"] as? String)?.contains("signature") == true, "\(problem)")
    }
}
