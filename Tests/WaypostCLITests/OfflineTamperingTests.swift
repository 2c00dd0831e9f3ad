import Foundation
import GRDB
import Testing

/// Someone who holds the laptop for ten minutes without the passphrase (issue 15 §1), and a disk that
/// filled while the node was closed (§5), through the built binary.
@Suite struct OfflineTamperingTests {
    @Test("a trigger planted with sqlite3 to copy decrypted names out on the next 'case show' is refused, and copies nothing")
    func aPlantedTriggerNeverRuns() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let id = try post.succeed(["case", "add", "given_name=Amina-Planted-Secret"])
        let replica = post.home + "/replica.sqlite"
        try DatabaseQueue(path: replica).writeWithoutTransaction { db in
            try db.execute(
                sql: """
                    CREATE TABLE loot (name TEXT);
                    CREATE TRIGGER leak AFTER INSERT ON access_log BEGIN INSERT INTO loot SELECT given_name FROM cases; END;
                    """)
        }
        for arguments in [["case", "show", id], ["case", "list"], ["status"]] {
            expectFailure(try post.run(arguments), exitCode: 1, mentioning: ["table 'loot'", "changed outside Waypost"])
        }
        let loot = try DatabaseQueue(path: replica).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM loot") }
        #expect(loot == 0)
        for file in try FileManager.default.contentsOfDirectory(atPath: post.home) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: post.home + "/" + file))
            #expect(bytes.range(of: Data("Amina-Planted-Secret".utf8)) == nil, "\(file) holds the name in clear")
        }
    }

    @Test("a home that existed before init, with a loose umask, ends with every file readable by its owner alone")
    func everyFileOfAHomeIsOwnerOnly() throws {
        let sandbox = try Sandbox()
        let home = sandbox.home("post")
        try FileManager.default.createDirectory(atPath: home.home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try home.succeed(["init", "--name", "post", "--insecure-fast-passphrase-for-tests"])
        try home.succeed(["case", "add", "given_name=Amina"])
        try home.succeed(["network", "create", "--name", "north"])
        try home.succeed(["bundle", "export", "--all", "--out", home.home + "/backup.wpb"])
        try Self.expectOwnerOnly(home.home)
        // A home loosened afterwards (a copy with `cp -r`, a chmod by hand) is tightened by the next command.
        #expect(chmod(home.home, 0o755) == 0 && chmod(home.home + "/replica.sqlite", 0o644) == 0)
        try home.succeed(["status"])
        try Self.expectOwnerOnly(home.home)
    }

    @Test("init refuses a directory that holds other files, and tightening a home touches only the node's own files")
    func tighteningTouchesOnlyTheNodesFiles() throws {
        let sandbox = try Sandbox()
        let shared = sandbox.path("shared")
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        FileManager.default.createFile(atPath: shared + "/notes.txt", contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        let mistaken = try sandbox.run(["init", "--home", shared, "--name", "post", "--insecure-fast-passphrase-for-tests"])
        expectFailure(mistaken, exitCode: 1, mentioning: ["notes.txt", "new or empty directory"])
        #expect(!FileManager.default.fileExists(atPath: shared + "/identity.key"))
        #expect(try FileManager.default.attributesOfItem(atPath: shared)[.posixPermissions] as? Int == 0o755)
        // A file someone put in a real home later keeps its mode.
        let post = try sandbox.node("post")
        FileManager.default.createFile(atPath: post.home + "/readme.txt", contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        try post.succeed(["status"])
        #expect(try FileManager.default.attributesOfItem(atPath: post.home + "/readme.txt")[.posixPermissions] as? Int == 0o644)
    }

    private static func expectOwnerOnly(_ home: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let manager = FileManager.default
        let paths = [home] + (try manager.subpathsOfDirectory(atPath: home)).map { home + "/" + $0 }
        for path in paths {
            let mode = (try manager.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1)
            #expect(mode & 0o077 == 0, "\(path) has mode \(String(mode, radix: 8))", sourceLocation: sourceLocation)
        }
    }

    /// Runs `waypost arguments` on a copy of `node`'s home on a disk that is already full: a tmpfs in a
    /// mount namespace of its own (`unshare`, as root), filled before the command starts.
    private static func onFullDisk(_ node: TestNode, _ arguments: [String]) throws -> WaypostResult {
        let mountPoint = node.sandbox.path("full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let script = """
            mount -t tmpfs -o size=8m tmpfs "$1" || exit 90
            cp -a "$2" "$1/home" || exit 91
            dd if=/dev/zero of="$1/fill" bs=4096 >/dev/null 2>&1
            [ "$(df --output=avail "$1" | tail -1 | tr -d ' ')" = 0 ] || exit 92
            home="$1/home"; shift 2
            WAYPOST_HOME="$home" exec "$@"
            """
        let result = try node.sandbox.run(
            arguments, environment: ["WAYPOST_HOME": ""],
            launcher: ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", mountPoint, node.home])
        try #require(![90, 91, 92].contains(result.status), "the full disk could not be set up (needs root): \(result)")
        return result
    }

    @Test("on a disk that filled while the node was closed, reading commands work and writing ones exit 6 with one line")
    func aDiskFullBeforeTheCommandStarts() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = (try sandbox.node("post"), try sandbox.node("clinic"))
        try post.pair(with: clinic)
        let id = try post.succeed(["case", "add", "given_name=Amina"])
        try clinic.succeed(["case", "add", "given_name=Omar"])
        for arguments in [["id"], ["status"], ["status", "--json"], ["peer", "list"], ["audit", "verify"], ["audit", "access"]] {
            let result = try Self.onFullDisk(post, arguments)
            #expect(result.status == 0, "\(result)")
        }
        let documented = "the disk is full; nothing was written: free some space and try again"
        for arguments in [["case", "add", "given_name=Lina"], ["case", "show", id], ["case", "set", id, "risk_level=high"]] {
            expectFailure(try Self.onFullDisk(post, arguments), exitCode: 6, mentioning: [documented])
        }
        // sync too: the clinic has a case to send, and there is no room to keep it.
        let serve = try ServeProcess(clinic)
        try post.succeed(["peer", "address", "clinic", serve.address])
        expectFailure(try Self.onFullDisk(post, ["sync", "clinic"]), exitCode: 6, mentioning: [documented])
    }
}
