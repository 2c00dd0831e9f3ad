import Foundation
import GRDB
import Testing
import WaypostCore

/// A copy of a node's files without the passphrase yields no field value (`Protocol/replica.md` §9): not
/// in the database, its WAL or shared memory, nor the key file; not for values written here, nor for
/// values merged from another node.
@Suite struct EncryptionAtRestTests {
    /// Values distinctive enough that finding their bytes can only mean finding them.
    static let secrets = [
        "Qadira-Oyelaran", "Tesfamariam-Uwimana", "1987-04-23", "fled-after-threats-Xq7", "Kolwezi-shelter-Zp2",
        "referrals-desk-+243-555-0199", "household-Beatrix-Nkemdirim", "merged-from-the-clinic-Vy4",
    ]

    /// The bytes of every file in a node's home, copied as a thief would (the node is not running).
    static func stolenFiles(_ node: TestNode, into directory: URL) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: node.home) where !name.hasPrefix(".") {
            let source = URL(fileURLWithPath: node.home).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let copy = directory.appendingPathComponent(node.name + "-" + name)
            try FileManager.default.copyItem(at: source, to: copy)
            files[name] = Array(try Data(contentsOf: copy))
        }
        return files
    }

    @Test("the files of two nodes that wrote and merged personal data hold none of its bytes")
    func copiedFilesYieldNoValue() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let clinic = try sandbox.node("clinic")
        try post.trust(clinic)
        try clinic.trust(post)

        let caseID = try post.succeed([
            "case", "add", "given_name=\(Self.secrets[0])", "family_name=\(Self.secrets[1])", "date_of_birth=\(Self.secrets[2])",
        ])
        try post.succeed(["case", "note", caseID, Self.secrets[3]])
        try post.succeed(["case", "set", caseID, "location=\(Self.secrets[4])"])
        try post.succeed(["case", "entry", caseID, "household", "relationship=sibling", "given_name=\(Self.secrets[6])"])
        let serviceID = try post.succeed(["service", "add", "name=Night shelter", "referral_contact=\(Self.secrets[5])"])
        #expect(!serviceID.isEmpty)
        try post.send(to: clinic)
        try clinic.succeed(["case", "set", caseID, "owner=\(Self.secrets[7])"])
        try clinic.send(to: post)
        // Both hold everything, readable with the passphrase.
        for node in [post, clinic] {
            let shown = try node.succeed(["case", "show", caseID, "--json"])
            for secret in Self.secrets where secret != Self.secrets[5] { #expect(shown.contains(secret), "\(node.name): \(secret)") }
        }

        let loot = sandbox.url.appendingPathComponent("loot")
        try FileManager.default.createDirectory(at: loot, withIntermediateDirectories: true)
        for node in [post, clinic] {
            let files = try Self.stolenFiles(node, into: loot)
            #expect(Set(files.keys).isSuperset(of: ["replica.sqlite", "identity.key"]), "\(files.keys.sorted())")
            // The search works: the node's name is stored in clear, and is found.
            #expect(files["replica.sqlite"]!.contains(node.name.utf8.count, of: Array(node.name.utf8)) || files["replica.sqlite-wal", default: []].contains(node.name.utf8.count, of: Array(node.name.utf8)))
            for (name, bytes) in files {
                for secret in Self.secrets {
                    #expect(!bytes.contains(secret.utf8.count, of: Array(secret.utf8)), "\(node.name)/\(name) holds \(secret)")
                }
            }
            // Plain SQLite on the copy reads no value: the views need the key, the tables hold ciphertext.
            let copy = loot.appendingPathComponent(node.name + "-replica.sqlite").path
            #expect(throws: DatabaseError.self) {
                try LiveSyncTests.readOnly(copy) { db in try Row.fetchAll(db, sql: "SELECT * FROM cases") }
            }
            let types = try LiveSyncTests.readOnly(copy) { db in
                try String.fetchSet(db, sql: "SELECT typeof(value) FROM changes UNION SELECT typeof(doc) FROM shown")
            }
            #expect(types == ["blob"])
        }
    }

    @Test("waypost sql reads the views in plain with the passphrase, and cannot write")
    func sqlShowsValuesReadOnly() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let caseID = try post.succeed(["case", "add", "given_name=Amina", "risk_level=high", "languages+=ar"])
        try post.succeed(["case", "add", "given_name=Omar", "risk_level=low"])
        let rows = try post.json(["sql", "SELECT id, given_name, languages FROM cases WHERE risk_level = 'high'"]).jsonArray()
        #expect(rows.count == 1)
        let row = try #require(rows.first as? [String: Any])
        #expect(row["id"] as? String == caseID)
        #expect(row["given_name"] as? String == "Amina")
        #expect(row["languages"] as? String == #"["ar"]"#)

        let text = try post.succeed(["sql", "SELECT given_name FROM cases ORDER BY given_name"])
        #expect(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) } == ["given_name", "Amina", "Omar", "(2 rows)"])

        let before = try post.snapshot()
        for statement in ["DELETE FROM changes", "UPDATE meta SET value = 'x' WHERE key = 'name'", "DROP VIEW cases"] {
            expectFailure(try post.run(["sql", statement]), exitCode: 4, mentioning: ["SQL error", "readonly"])
        }
        expectFailure(try post.run(["sql", "SELEKT 1"]), exitCode: 4, mentioning: ["SQL error", "syntax error"])
        #expect(try post.snapshot() == before)
    }
}
