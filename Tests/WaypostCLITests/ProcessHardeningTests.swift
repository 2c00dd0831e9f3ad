import Foundation
import Testing
import WaypostCrypto

/// What a process holding the node's keys does to keep them (`Protocol/keys.md` §6): the passphrase
/// leaves the environment once read, no core dump, key memory locked; and key files are sealed with
/// Argon2id limits meant for a stolen disk attacked with GPUs, while older key files still open
/// (`Protocol/keys.md` §3).
@Suite struct ProcessHardeningTests {
    /// `prlimit(1)`, to start `serve` with core dumps allowed, as from a shell after `ulimit -c unlimited`:
    /// what the test then sees is serve's own doing, not an inherited limit.
    static let prlimit = ["/usr/bin/prlimit", "/bin/prlimit"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A line of `/proc/PID/status` or `/proc/PID/limits` that starts with `prefix`, split into words.
    static func fields(_ file: String, _ prefix: String) throws -> [Substring] {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(prefix) }, "\(file) has no \(prefix)")
        return line.dropFirst(prefix.count).split(whereSeparator: \.isWhitespace)
    }

    /// Whether a process started by this one may lock memory: root (`CAP_IPC_LOCK`) or a non-zero limit.
    static var mayLockMemory: Bool {
        var limit = rlimit()
        _ = getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit)
        return geteuid() == 0 || limit.rlim_cur >= 4096
    }

    /// The Argon2id limits a key file records (bytes 7 to 22: opslimit and memlimit, big-endian).
    static func limits(_ key: [UInt8]) -> (opslimit: UInt64, memlimit: UInt64) {
        func number(_ offset: Int) -> UInt64 { key[offset..<(offset + 8)].reduce(0) { $0 << 8 | UInt64($1) } }
        return (number(7), number(15))
    }

    @Test("a running serve keeps no passphrase in /proc/PID/environ, has a core file limit of 0 and locks its keys")
    func serveKeepsItsSecrets() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("post")
        let serve = try ServeProcess(
            node, launcher: Self.prlimit.map { [$0, "--core=unlimited:unlimited", "--"] } ?? [])
        let proc = "/proc/\(serve.processIdentifier)"

        // Root reads any process's environment; another user cannot read a process that is not dumpable
        // at all, which keeps the passphrase from it as well.
        if let environment = try? Data(contentsOf: URL(fileURLWithPath: proc + "/environ")) {
            let entries = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            #expect(entries.contains("WAYPOST_HOME=\(node.home)"), "not serve's environment: \(entries.count) entries")
            #expect(
                !entries.contains { $0.contains(WaypostProcess.passphrase) }, "the passphrase is in \(proc)/environ")
            #expect(!entries.contains { $0.hasPrefix("WAYPOST_PASSPHRASE=") })
        } else {
            #expect(geteuid() != 0, "root could not read \(proc)/environ")
        }

        // "Max core file size  SOFT  HARD  bytes".
        let core = try Self.fields(proc + "/limits", "Max core file size")
        #expect(Array(core.prefix(2)) == ["0", "0"], "core file limit: \(core)")

        // It listens, so its keys are loaded: their pages are locked ("VmLck:  N kB").
        if Self.mayLockMemory {
            let locked = try #require(Int(try Self.fields(proc + "/status", "VmLck:").first ?? ""))
            #expect(locked > 0, "no memory locked in serve")
        }
        #expect(serve.isRunning)
        #expect(serve.stop() == 0)
    }

    @Test("init seals a new key file with libsodium's moderate Argon2id limits, which then open it")
    func newKeyFilesAreModerate() throws {
        let sandbox = try Sandbox()
        let node = sandbox.home("strong")
        try node.succeed(["init", "--name", "strong"])
        let key = try node.identityKey()
        #expect(Self.limits(key) == (3, 268_435_456))
        #expect(PassphraseProtection.limits(of: key) == .moderate)
        let caseID = try node.succeed(["case", "add", "given_name=Amina"])
        #expect(try node.succeed(["case", "show", caseID]).contains("Amina"))
    }

    @Test(
        "a key file an older Waypost sealed with interactive limits still opens, and passphrase change strengthens it")
    func olderKeyFilesOpen() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("older")
        // The key file as Waypost sealed it before: the same secret under libsodium's interactive limits.
        let path = node.home + "/identity.key"
        let secret = try PassphraseProtection.open(try node.identityKey()) { WaypostProcess.passphrase }
        let interactive = try PassphraseProtection.seal(
            secret, passphrase: WaypostProcess.passphrase, limits: .interactive)
        try Data(interactive).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(Self.limits(try node.identityKey()) == (2, 67_108_864))

        let caseID = try node.succeed(["case", "add", "given_name=Lina"])
        #expect(try node.succeed(["case", "show", caseID]).contains("Lina"))

        let newPassphrase = "a longer one for the move"
        try node.succeed(["passphrase", "change"], environment: ["WAYPOST_NEW_PASSPHRASE": newPassphrase])
        #expect(Self.limits(try node.identityKey()) == (3, 268_435_456))
        #expect(
            try node.succeed(["case", "show", caseID], environment: ["WAYPOST_PASSPHRASE": newPassphrase]).contains(
                "Lina"))
    }
}
