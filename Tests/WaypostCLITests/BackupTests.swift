import Foundation
import Testing

/// `waypost backup` and `waypost restore` (`Protocol/backup.md`): a node comes back from its backup
/// with its identity, replica, peers and networks, and signs nothing under a number it used before.
@Suite struct BackupTests {
    /// A post with two cases, a peer (the clinic, which holds the post's cases) and a network it created;
    /// its backup; then a case the post made after the backup, which only the clinic received.
    struct Scene {
        let sandbox: Sandbox
        let post: TestNode
        let clinic: TestNode
        let backup: String
        let network: String
        let beforeCases: [String]
        let laterCase: String
        /// The highest sequence the post used, after the backup.
        let lastUsed: Int

        /// Words that must never appear in the backup file in clear.
        var secrets: [String] {
            ["Amina", "Haddad", "Lina", "given_name", "family_name", "clinic", "north-corridor", clinic.nodeID]
                + beforeCases
        }
    }

    static func scene() throws -> Scene {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let clinic = try sandbox.node("clinic")
        try post.pair(with: clinic)
        let network = try #require(
            try post.succeed(["network", "create", "--name", "north-corridor"]).split(separator: "\n")
                .first { $0.hasPrefix("network id: ") }?.dropFirst(12))
        let first = try post.succeed(["case", "add", "given_name=Amina", "family_name=Haddad"])
        let second = try post.succeed(["case", "add", "given_name=Lina"])
        try clinic.importBundle(try post.export(to: clinic))
        let backup = sandbox.path("post.wpbk")
        let made = try post.succeed(["backup", "--out", backup])
        #expect(made.contains("backed up node \(post.nodeID)"), "\(made)")
        let laterCase = try post.succeed(["case", "add", "given_name=Omar"])
        try clinic.importBundle(try post.export(to: clinic))
        return Scene(
            sandbox: sandbox, post: post, clinic: clinic, backup: backup, network: String(network),
            beforeCases: [first, second], laterCase: laterCase, lastUsed: try ownSequences(of: post).max() ?? 0)
    }

    /// The sequences of the node's own changes, from `log --json`.
    static func ownSequences(of node: TestNode) throws -> [Int] {
        try node.json(["log"]).jsonArray().compactMap { entry in
            let entry = entry as? [String: Any]
            return entry?["origin"] as? String == node.nodeID ? entry?["sequence"] as? Int : nil
        }
    }

    static func caseList(_ node: TestNode) throws -> String { try node.succeed(["case", "list"]) }

    @Test(
        "restore after the replica is deleted: identity, cases as of the backup, peers, networks; writes wait for resume"
    )
    func restoreAfterTheReplicaIsDeleted() throws {
        let scene = try Self.scene()
        let post = scene.post
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: post.home + "/replica.sqlite" + suffix)
        }
        try? FileManager.default.removeItem(atPath: post.home + "/networks")

        // init, the one command someone might try, points at restore.
        expectFailure(try post.run(["init", "--name", "post"]), exitCode: 1, mentioning: ["waypost restore"])

        let restored = try post.succeed(["restore", scene.backup])
        #expect(restored.contains("restore --resume"), "\(restored)")
        #expect(try post.succeed(["id"]) == post.nodeID)
        let cases = try Self.caseList(post)
        #expect(scene.beforeCases.allSatisfy(cases.contains) && cases.contains("Amina"), "\(cases)")
        #expect(!cases.contains(scene.laterCase))
        #expect(try post.succeed(["peer", "list"]).contains(scene.clinic.nodeID.prefix(7)))
        let networks = try post.succeed(["network", "list"])
        #expect(networks.contains(scene.network) && networks.contains("holds its key"), "\(networks)")
        let mode =
            try FileManager.default.attributesOfItem(atPath: post.home + "/replica.sqlite")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // Every local write is refused, in one line, until resumed.
        for write in [
            ["case", "add", "given_name=Yusuf"], ["case", "set", scene.beforeCases[0], "risk_level=high"],
            ["case", "note", scene.beforeCases[0], "seen"],
            ["case", "erase", scene.beforeCases[1], "--reason", "asked"],
            ["service", "add", "name=Clinic"], ["network", "enroll", scene.clinic.nodeID, "--name", "clinic"],
        ] {
            expectFailure(
                try post.run(write), exitCode: 1, mentioning: ["restored from a backup", "waypost restore --resume"])
        }
        #expect(try Self.ownSequences(of: post).max() ?? 0 < scene.lastUsed)

        // serve keeps working while restored: the clinic syncs with it, and the post learns its later case.
        let serve = try ServeProcess(post)
        let synced = try scene.clinic.run(["sync", serve.address])
        #expect(synced.status == 0, "\(synced) \(serve.log)")
        _ = serve.stop()
        #expect(try Self.caseList(post).contains(scene.laterCase))
        #expect(try Self.ownSequences(of: post).max() == scene.lastUsed)
        // Still gated: learning its own changes does not prove it has the latest.
        expectFailure(try post.run(["case", "add", "given_name=Yusuf"]), exitCode: 1, mentioning: ["restore --resume"])

        let resumed = try post.succeed(["restore", "--resume"])
        #expect(resumed.contains("next change will be number \(scene.lastUsed + 1)"), "\(resumed)")
        try post.succeed(["case", "add", "given_name=Yusuf"])
        let sequences = try Self.ownSequences(of: post)
        #expect(Set(sequences).count == sequences.count)
        #expect(sequences.max() ?? 0 > scene.lastUsed)
        // The clinic takes the new change: the chain continues, no second change under a used number.
        let bundle = try post.export(to: scene.clinic)
        let imported = try scene.clinic.run(["bundle", "import", bundle])
        #expect(imported.status == 0, "\(imported)")
        #expect(try Self.caseList(scene.clinic).contains("Yusuf"))
    }

    @Test func restoreOverADamagedReplica() throws {
        let scene = try Self.scene()
        let path = scene.post.home + "/replica.sqlite"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.replaceSubrange(0..<4096, with: Data(repeating: 0x5A, count: 4096))
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try scene.post.run(["case", "list"]).status != 0)
        try scene.post.succeed(["restore", scene.backup])
        #expect(try Self.caseList(scene.post).contains("Amina"))
        expectFailure(
            try scene.post.run(["case", "add", "given_name=Yusuf"]), exitCode: 1, mentioning: ["restored from a backup"]
        )
    }

    @Test func restoreRefusesAWorkingReplicaUnlessReplace() throws {
        let scene = try Self.scene()
        let refused = try scene.post.run(["restore", scene.backup])
        expectFailure(refused, exitCode: 1, mentioning: ["opens and works", "--replace"])
        #expect(try Self.caseList(scene.post).contains(scene.laterCase))  // nothing changed
        try scene.post.succeed(["case", "add", "given_name=Yusuf"])
        try scene.post.succeed(["restore", scene.backup, "--replace"])
        #expect(!(try Self.caseList(scene.post).contains(scene.laterCase)))
        expectFailure(
            try scene.post.run(["case", "add", "given_name=Yusuf"]), exitCode: 1, mentioning: ["restore --resume"])
    }

    @Test func restoreIntoAnEmptyHome() throws {
        let scene = try Self.scene()
        let elsewhere = TestNode(
            name: "post", home: scene.sandbox.path("elsewhere"), sandbox: scene.sandbox, nodeID: scene.post.nodeID)
        try elsewhere.succeed(["restore", scene.backup])
        #expect(try elsewhere.succeed(["id"]) == scene.post.nodeID)
        #expect(try Self.caseList(elsewhere).contains("Amina"))
        let mode = try FileManager.default.attributesOfItem(atPath: elsewhere.home)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test func theBackupHoldsNothingInClear() throws {
        let scene = try Self.scene()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scene.backup))
        for secret in scene.secrets {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) is in the backup in clear")
        }
        #expect(bytes.prefix(8) == Data("WPBACKUP".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: scene.backup)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // A backup never overwrites.
        expectFailure(
            try scene.post.run(["backup", "--out", scene.backup]), exitCode: 1, mentioning: ["exists already"])
    }

    @Test(arguments: ["truncated", "altered", "header", "not a backup"])
    func aDamagedBackupIsRefusedAndChangesNothing(_ damage: String) throws {
        let scene = try Self.scene()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: scene.backup)))
        switch damage {
        case "truncated": bytes.removeLast(100)
        case "altered": bytes[bytes.count / 2] ^= 0x01
        case "header": bytes[36] ^= 0x01  // the key file's salt: the passphrase no longer opens it
        default: bytes = Array("hello".utf8)
        }
        let damaged = try scene.sandbox.write(bytes, "damaged.wpbk")
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: scene.post.home + "/replica.sqlite" + suffix)
        }
        let before = try FileManager.default.contentsOfDirectory(atPath: scene.post.home).sorted()
        let result = try scene.post.run(["restore", damaged])
        expectFailure(result, exitCode: damage == "header" ? 7 : 5, mentioning: ["damaged.wpbk"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scene.post.home).sorted() == before)
    }

    @Test func restoreNeedsThePassphrase() throws {
        let scene = try Self.scene()
        try FileManager.default.removeItem(atPath: scene.post.home + "/replica.sqlite")
        let wrong = try scene.post.run(["restore", scene.backup], environment: ["WAYPOST_PASSPHRASE": "not it at all"])
        expectFailure(wrong, exitCode: 7, mentioning: ["wrong passphrase"])
        let none = try scene.post.run(
            ["restore", scene.backup], environment: ["WAYPOST_PASSPHRASE": ""], detached: true)
        // As every command without a passphrase to read (PassphraseTests): exit 1, naming the variable.
        expectFailure(none, exitCode: 1, mentioning: ["WAYPOST_PASSPHRASE"])
        #expect(!FileManager.default.fileExists(atPath: scene.post.home + "/replica.sqlite"))
        let backup = try scene.post.run(
            ["backup", "--out", scene.sandbox.path("other.wpbk")], environment: ["WAYPOST_PASSPHRASE": "not it at all"])
        #expect(backup.status != 0)
    }

    @Test func resumeOnANodeNeverRestoredStatesItsNextNumber() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("solo")
        try node.succeed(["case", "add", "given_name=Amina"])
        let resumed = try node.succeed(["restore", "--resume"])
        #expect(resumed.contains("not waiting to resume") && resumed.contains("number 3"), "\(resumed)")
    }
}
