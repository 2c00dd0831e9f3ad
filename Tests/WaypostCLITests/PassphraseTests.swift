import Foundation
import GRDB
import Testing
import WaypostCore

/// The identity key is always under a passphrase (`Protocol/keys.md` §3), and the replica's values are
/// encrypted under a key derived from it (`Protocol/replica.md` §9): reading values, like writing, needs
/// the passphrase; counts and peers do not.
@Suite struct PassphraseTests {
    static let newPassphrase = "staple under the desk"

    /// The key file's first seven bytes: `WPKEY`, version 1, then the mode (0 plain, 1 under a passphrase).
    static func header(mode: UInt8) -> [UInt8] { Array("WPKEY".utf8) + [1, mode] }

    /// The key file's POSIX permissions.
    static func permissions(_ node: TestNode) throws -> Int {
        try #require(
            try FileManager.default.attributesOfItem(atPath: node.home + "/identity.key")[.posixPermissions] as? Int)
    }

    /// The sealed values of every change, read from the file as `sqlite3` would.
    static func sealedValues(_ node: TestNode) throws -> [Data] {
        try LiveSyncTests.readOnly(node.home + "/replica.sqlite") { db in
            try Data.fetchAll(db, sql: "SELECT value FROM changes ORDER BY origin, sequence")
        }
    }

    @Test("init seals the key file; reading or writing values needs the passphrase, a wrong one or none changes nothing")
    func aKeyUnderAPassphrase() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("post")

        // WPKEY, version 1, mode 1; Argon2id limits, salt, nonce, the sealed key and its tag; owner only.
        let key = try node.identityKey()
        #expect(Array(key.prefix(7)) == Self.header(mode: 1))
        #expect(key.count == 143)
        #expect(try Self.permissions(node) == 0o600)
        #expect(!key.contains(NodeID.byteCount, of: try NodeID(parsing: node.nodeID).bytes), "the public half is in clear")

        let caseID = try node.succeed(["case", "add", "given_name=Amina"])
        let before = try node.snapshot()
        try #require(before.cases.contains("Amina"))

        for arguments in [["case", "set", caseID, "risk_level=high"], ["case", "list"], ["case", "show", caseID], ["sql", "SELECT * FROM cases"]] {
            let wrong = try node.run(arguments, environment: ["WAYPOST_PASSPHRASE": "not it at all"])
            expectFailure(wrong, exitCode: 7, mentioning: ["wrong passphrase", "identity.key"])
            #expect(!wrong.stdout.contains("Amina"))
        }
        // No passphrase and no terminal to ask at (a session of its own has none): a clear refusal.
        let none = try node.run(["case", "list"], environment: ["WAYPOST_PASSPHRASE": ""], detached: true)
        expectFailure(none, exitCode: 1, mentioning: ["WAYPOST_PASSPHRASE is set but empty"])
        #expect(!none.stdout.contains("Amina"))
        // Counts need no passphrase.
        let status = try node.run(["status", "--json"], environment: ["WAYPOST_PASSPHRASE": "not it at all"])
        #expect(status.status == 0 && status.stdout.contains("\"changes\""), "\(status)")

        #expect(try node.snapshot() == before)
        #expect(try node.identityKey() == key)
    }

    @Test("passphrase change re-wraps the key and leaves the replica's ciphertext alone; the key never leaves its passphrase")
    func changingThePassphrase() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("clinic")
        try node.succeed(["case", "add", "given_name=Lina"])
        let sealed = try node.identityKey()
        let values = try Self.sealedValues(node)
        try #require(!values.isEmpty)

        // Change it: the old passphrase no longer opens the key, the new one does.
        #expect(
            try node.succeed(
                ["passphrase", "change", "--insecure-fast-passphrase-for-tests"],
                environment: ["WAYPOST_NEW_PASSPHRASE": Self.newPassphrase])
                .hasPrefix("passphrase changed"))
        let changed = try node.identityKey()
        #expect(changed != sealed && Array(changed.prefix(7)) == Self.header(mode: 1))
        #expect(try Self.permissions(node) == 0o600)
        expectFailure(try node.run(["case", "list"]), exitCode: 7, mentioning: ["wrong passphrase"])
        let listed = try node.succeed(["case", "list"], environment: ["WAYPOST_PASSPHRASE": Self.newPassphrase])
        #expect(listed.contains("Lina"))
        // Not re-encrypted: every stored value is the same ciphertext as before.
        #expect(try Self.sealedValues(node) == values)

        // A wrong current passphrase changes no key file.
        expectFailure(
            try node.run(["passphrase", "change"], environment: ["WAYPOST_NEW_PASSPHRASE": "another one entirely"]),
            exitCode: 7, mentioning: ["wrong passphrase"])
        #expect(try node.identityKey() == changed)

        // Taking the key out from under a passphrase is refused: the replica's values depend on it.
        expectFailure(
            try node.run(["passphrase", "--remove"], environment: ["WAYPOST_PASSPHRASE": Self.newPassphrase]),
            exitCode: 4, mentioning: ["stay under a passphrase", "nothing was changed"])
        #expect(try node.identityKey() == changed)
    }
}
