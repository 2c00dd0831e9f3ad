import Foundation
import GRDB
import Testing

@testable import WaypostCore

/// Someone who holds the laptop without the passphrase tries to change whom the node trusts or dials
/// (issue 15 §1): through the CLI it needs the passphrase; through `sqlite3` on the file, the next command
/// that opens the node with its passphrase (and `serve`) refuses, naming what was altered.
@Suite struct TrustRowTamperingTests {
    /// A post that trusts a clinic, and the id of a node (mallory) that it does not know.
    private func post(in sandbox: Sandbox) throws -> (post: TestNode, clinic: TestNode, mallory: TestNode) {
        let post = try sandbox.node("post")
        let clinic = try sandbox.node("clinic")
        try post.pair(with: clinic)
        try post.succeed(["case", "add", "given_name=Amina"])
        return (post, clinic, try sandbox.node("mallory"))
    }

    @Test("without the passphrase, peer add --admin, peer address, peer remove and network join are refused and change nothing")
    func trustCommandsNeedThePassphrase() throws {
        let sandbox = try Sandbox()
        let (post, _, mallory) = try post(in: sandbox)
        let before = try post.json(["peer", "list"]).stdout
        let network = NodeID(bytes: Array(repeating: 7, count: 32)).description
        let wrong = ["WAYPOST_PASSPHRASE": "not the passphrase at all"]
        for arguments in [
            ["peer", "add", "mallory", mallory.nodeID, "--admin", "--address", "127.0.0.1:9"],
            ["peer", "address", "clinic", "127.0.0.1:9"], ["peer", "remove", "clinic"], ["network", "join", network],
        ] {
            expectFailure(try post.run(arguments, environment: wrong), exitCode: 7, mentioning: ["wrong passphrase"])
        }
        #expect(try post.json(["peer", "list"]).stdout == before)
        #expect(try post.json(["network", "list"]).stdout.contains(network) == false)
    }

    /// Runs `sql` on the post's replica with plain SQLite, as someone with the files and no key would.
    private func tamper(_ node: TestNode, _ sql: String, _ arguments: StatementArguments = []) throws {
        try DatabaseQueue(path: node.home + "/replica.sqlite").write { db in try db.execute(sql: sql, arguments: arguments) }
    }

    @Test("an admin peer planted in the file, a peer's address or admin flag changed, or a network joined there is refused by every command with the passphrase, serve included")
    func trustRowsWrittenInTheFileAreRefused() throws {
        let sandbox = try Sandbox()
        let (post, _, mallory) = try post(in: sandbox)
        let malloryID = try NodeID(parsing: mallory.nodeID)
        let attacks: [(sql: String, arguments: StatementArguments, table: String)] = [
            (
                "INSERT INTO peers (name, node, added_at, role, address) VALUES ('mallory', ?, 0, 2, '127.0.0.1:9')",
                [Data(malloryID.bytes)], "table 'peers'"
            ),
            ("UPDATE peers SET address = '127.0.0.1:9' WHERE name = 'clinic'", [], "table 'peers'"),
            ("UPDATE peers SET role = 2 WHERE name = 'clinic'", [], "table 'peers'"),
            ("INSERT INTO networks (network, joined_at) VALUES (?, 0)", [Data(malloryID.bytes)], "table 'networks'"),
        ]
        let image = try post.image()
        for attack in attacks {
            let target = try sandbox.restore(image, as: "post-\(UUID().uuidString.prefix(8))")
            try tamper(target, attack.sql, attack.arguments)
            for arguments in [["case", "list"], ["bundle", "export", "--all", "--out", sandbox.path("out.wpb")], ["sync", "clinic"]] {
                expectFailure(try target.run(arguments), exitCode: 1, mentioning: [attack.table, "changed outside Waypost"])
            }
            // serve refuses to start (a timeout stops it if it does not, and fails the test).
            let serve = try target.run(
                ["serve", "--listen", "127.0.0.1:0"], launcher: ["/usr/bin/timeout", "--signal=KILL", "30"])
            expectFailure(serve, exitCode: 1, mentioning: [attack.table])
            #expect(!FileManager.default.fileExists(atPath: sandbox.path("out.wpb")))
        }
    }

    @Test("once the planted row is removed again the node opens; a replica whose tags are gone opens only after 'peer seal'")
    func recoveryAndSealing() throws {
        let sandbox = try Sandbox()
        let (post, _, mallory) = try post(in: sandbox)
        try tamper(
            post, "INSERT INTO peers (name, node, added_at, role) VALUES ('mallory', ?, 0, 2)",
            [Data(try NodeID(parsing: mallory.nodeID).bytes)])
        expectFailure(try post.run(["case", "list"]), exitCode: 1, mentioning: ["table 'peers'"])
        try tamper(post, "DELETE FROM peers WHERE name = 'mallory'")
        try post.succeed(["case", "list"])

        // As a replica written before the tags: refused, naming the command that accepts the rows.
        try tamper(post, "DELETE FROM meta WHERE key LIKE 'trust.tag.%'")
        expectFailure(try post.run(["case", "list"]), exitCode: 1, mentioning: ["not authenticated", "waypost peer seal"])
        let sealed = try post.succeed(["peer", "seal"])
        #expect(sealed.contains("accepted 1 peer(s)") && sealed.contains("peer clinic"), "\(sealed)")
        try post.succeed(["case", "list"])
        // peer seal needs the passphrase like every other change of trust.
        expectFailure(
            try post.run(["peer", "seal"], environment: ["WAYPOST_PASSPHRASE": "not the passphrase at all"]), exitCode: 7)
    }
}
