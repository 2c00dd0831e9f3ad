import Foundation
import GRDB
import Testing
import WaypostCore

/// `waypost case erase` through the binary (`Protocol/replica.md` §9.4): the admin's node, a post that gets
/// the erasure in a bundle, and a clinic that gets it over a live sync all keep no byte of the case's values
/// in their database, WAL or shared-memory files, and an old bundle replayed brings nothing back.
@Suite struct ErasureTests {
    static let secrets = ["Erasable-Person-Name-K7", "erasable case note J3", "Erasable-Hiding-Place-P9"]

    /// Every sealed byte string a record's values and key occupy in a node's replica.
    static func sealed(_ record: String, in node: TestNode) throws -> [Data] {
        try LiveSyncTests.readOnly(node.home + "/replica.sqlite") { db in
            var blobs: [Data] = []
            for sql in [
                "SELECT value FROM changes WHERE record = ?",
                "SELECT doc FROM shown WHERE record = ?", "SELECT key FROM record_vault WHERE record = ?",
            ] {
                blobs += try Data.fetchAll(db, sql: sql, arguments: [record])
            }
            return blobs.filter { $0.count >= 16 }
        }
    }

    /// The bytes of a node's three database files.
    static func databaseFiles(_ node: TestNode) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for suffix in ["", "-wal", "-shm"] {
            let path = node.home + "/replica.sqlite" + suffix
            files["replica.sqlite" + suffix] =
                FileManager.default.fileExists(atPath: path) ? Array(try Data(contentsOf: URL(fileURLWithPath: path))) : []
        }
        return files
    }

    @Test("an erasure reaches a bundle's and a live sync's receivers; no byte of the values stays; a replay brings nothing back")
    func erasureReachesEveryReplica() throws {
        let sandbox = try Sandbox()
        let admin = try sandbox.node("admin")
        let post = try sandbox.node("post")
        let clinic = try sandbox.node("clinic")
        for node in [post, clinic] {
            try node.succeed(["peer", "add", "admin", admin.nodeID, "--admin"])
            try admin.trust(node)
        }
        let id = try admin.succeed(["case", "add", "given_name=\(Self.secrets[0])", "location=\(Self.secrets[2])"])
        try admin.succeed(["case", "note", id, Self.secrets[1]])
        let kept = try admin.succeed(["case", "add", "given_name=Someone Else"])
        let oldBundle = try admin.export(to: post)
        #expect(try post.importBundle(oldBundle)["applied"] as? Int ?? 0 > 0)
        let serve = try ServeProcess(admin)
        try clinic.succeed(["sync", serve.address])
        var sealed: [String: [Data]] = [:]
        for node in [admin, post, clinic] {
            sealed[node.name] = try Self.sealed(id, in: node)
            try #require(sealed[node.name]!.count >= 6, "\(node.name) holds the case")
        }

        let erased = try admin.succeed(["case", "erase", id, "--reason", "data-protection request 2026-117"])
        #expect(erased.contains("erased case"))
        let imported = try post.importBundle(try admin.export(to: post))
        #expect(imported["erased_records"] as? Int == 1)
        let synced = try clinic.json(["sync", serve.address]).jsonObject()
        #expect(synced["erased_records"] as? Int == 1, "\(synced)")

        for node in [admin, post, clinic] {
            let files = try Self.databaseFiles(node)
            for (name, bytes) in files {
                for blob in sealed[node.name]! {
                    #expect(!bytes.contains(blob.count, of: Array(blob)), "\(node.name)/\(name) still holds a sealed value or key")
                }
                for secret in Self.secrets { #expect(!bytes.contains(secret.utf8.count, of: Array(secret.utf8))) }
            }
            let shown = try node.run(["case", "show", id])
            expectFailure(shown, exitCode: 3, mentioning: ["was erased", "data-protection request 2026-117"])
            let listed = try node.succeed(["case", "list"])
            #expect(!listed.contains(id) && listed.contains(kept), "\(node.name): \(listed)")
            let audit = try node.run(["audit", "verify"])
            #expect(audit.status == 0, "\(node.name): \(audit)")
        }

        // The old bundle, replayed at the post: nothing comes back.
        let replay = try post.importBundle(oldBundle)
        #expect(replay["applied"] as? Int == 0)
        expectFailure(try post.run(["case", "show", id]), exitCode: 3, mentioning: ["was erased"])
        #expect(try Self.sealed(id, in: post).isEmpty)
    }

    @Test("an erasure from a node that is not an admin here is refused and reported, and erases nothing")
    func erasureFromAFieldNodeIsRefused() throws {
        let sandbox = try Sandbox()
        let field = try sandbox.node("field")
        let post = try sandbox.node("post")
        try field.trust(post)
        try post.trust(field)
        let id = try field.succeed(["case", "add", "given_name=Amina"])
        try field.send(to: post)
        try field.succeed(["case", "erase", id, "--reason", "not mine to erase elsewhere"])
        let report = try post.importBundle(try field.export(to: post))
        #expect(report["directives_refused"] as? Int == 1)
        #expect(report["erased_records"] as? Int == 0)
        #expect(try post.succeed(["case", "show", id]).contains("Amina"))
    }
}
