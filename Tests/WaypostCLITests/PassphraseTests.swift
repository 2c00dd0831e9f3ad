import Foundation
import Testing
import WaypostCore

/// The identity key can be kept under a passphrase (`Protocol/keys.md` §3). Each unlock costs Argon2id
/// with interactive limits (about half a second), so these tests unlock as few times as they can.
@Suite struct PassphraseTests {
    static let passphrase = "correct horse battery"
    static let newPassphrase = "staple under the desk"

    /// The key file's first seven bytes: `WPKEY`, version 1, then the mode (0 plain, 1 under a passphrase).
    static func header(mode: UInt8) -> [UInt8] { Array("WPKEY".utf8) + [1, mode] }

    /// The key file's POSIX permissions.
    static func permissions(_ node: TestNode) throws -> Int {
        try #require(
            try FileManager.default.attributesOfItem(atPath: node.home + "/identity.key")[.posixPermissions] as? Int)
    }

    @Test("init --passphrase: the key file is sealed; the right passphrase writes, a wrong one or none changes nothing")
    func aKeyUnderAPassphrase() throws {
        let sandbox = try Sandbox()
        let home = sandbox.home("post")
        let created = try home.succeed(
            ["init", "--name", "post", "--passphrase"], environment: ["WAYPOST_PASSPHRASE": Self.passphrase])
        #expect(!created.contains("not under a passphrase"), "\(created)")
        let id = try #require(
            created.split(separator: "\n").first { $0.hasPrefix("node id: ") }.map { String($0.dropFirst(9)) })
        let node = TestNode(name: "post", home: home.home, sandbox: sandbox, nodeID: id)

        // WPKEY, version 1, mode 1; Argon2id limits, salt, nonce, the sealed key and its tag; owner only.
        let key = try node.identityKey()
        #expect(Array(key.prefix(7)) == Self.header(mode: 1))
        #expect(key.count == 143)
        #expect(try Self.permissions(node) == 0o600)
        #expect(!key.contains(NodeID.byteCount, of: try NodeID(parsing: id).bytes), "the public half is in clear")

        // Reading needs no key; writing does.
        let caseID = try node.succeed(
            ["case", "add", "given_name=Amina"], environment: ["WAYPOST_PASSPHRASE": Self.passphrase])
        let before = try node.snapshot()
        try #require(before.cases.contains("Amina"))

        let wrong = try node.run(
            ["case", "set", caseID, "risk_level=high"], environment: ["WAYPOST_PASSPHRASE": "not it at all"])
        expectFailure(wrong, exitCode: 7, mentioning: ["wrong passphrase", "identity.key"])
        // No passphrase and no terminal to ask at (a session of its own has none): a clear refusal.
        let none = try node.run(["case", "set", caseID, "risk_level=high"], detached: true)
        expectFailure(none, exitCode: 1, mentioning: ["no passphrase", "WAYPOST_PASSPHRASE", "terminal"])
        let empty = try node.run(
            ["case", "note", caseID, "x"], environment: ["WAYPOST_PASSPHRASE": ""], detached: true)
        expectFailure(empty, exitCode: 1, mentioning: ["WAYPOST_PASSPHRASE is set but empty"])

        #expect(try node.snapshot() == before)
        #expect(try node.identityKey() == key)
    }

    @Test("passphrase: sets, changes and removes the key's passphrase; the key itself stays the same")
    func changingThePassphrase() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("clinic")
        let plain = try node.identityKey()
        // Not under a passphrase: WPKEY 01 00, then the secret key, seed then public key.
        try #require(plain.count == 71 && Array(plain.prefix(7)) == Self.header(mode: 0))
        let seed = Array(plain[7..<39])
        #expect(Array(plain[39...]) == (try NodeID(parsing: node.nodeID).bytes))

        // Set one: the key is not under one yet, so only the new passphrase is needed.
        #expect(
            try node.succeed(["passphrase"], environment: ["WAYPOST_NEW_PASSPHRASE": Self.passphrase])
                == "passphrase changed")
        let sealed = try node.identityKey()
        #expect(Array(sealed.prefix(7)) == Self.header(mode: 1) && sealed.count == 143)
        #expect(!sealed.contains(seed.count, of: seed), "the seed is in clear")
        #expect(!sealed.contains(16, of: Array(seed.prefix(16))), "half the seed is in clear")
        #expect(try Self.permissions(node) == 0o600)

        // Change it: the old passphrase no longer opens the key, the new one does.
        try node.succeed(
            ["passphrase"],
            environment: ["WAYPOST_PASSPHRASE": Self.passphrase, "WAYPOST_NEW_PASSPHRASE": Self.newPassphrase])
        let changed = try node.identityKey()
        #expect(changed != sealed && Array(changed.prefix(7)) == Self.header(mode: 1))
        let before = try node.snapshot()
        expectFailure(
            try node.run(["case", "add", "given_name=Lina"], environment: ["WAYPOST_PASSPHRASE": Self.passphrase]),
            exitCode: 7, mentioning: ["wrong passphrase"])
        #expect(try node.snapshot() == before)
        try node.succeed(["case", "add", "given_name=Lina"], environment: ["WAYPOST_PASSPHRASE": Self.newPassphrase])

        // A wrong current passphrase changes no key file.
        expectFailure(
            try node.run(["passphrase", "--remove"], environment: ["WAYPOST_PASSPHRASE": Self.passphrase]),
            exitCode: 7, mentioning: ["wrong passphrase"])
        #expect(try node.identityKey() == changed)

        // Remove it: the same key, in plain again, and writing needs no passphrase.
        #expect(
            try node.succeed(["passphrase", "--remove"], environment: ["WAYPOST_PASSPHRASE": Self.newPassphrase])
                .contains("no longer under a passphrase"))
        #expect(try node.identityKey() == plain)
        #expect(try Self.permissions(node) == 0o600)
        try node.succeed(["case", "add", "given_name=Omar"], detached: true)
        #expect(try node.succeed(["id"]) == node.nodeID)
    }
}
