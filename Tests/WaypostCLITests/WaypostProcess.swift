import Foundation
import Testing

/// What one run of the `waypost` binary did.
struct WaypostResult: Sendable, CustomStringConvertible {
    /// The arguments it ran with (not counting the binary).
    let arguments: [String]
    /// Its exit status.
    let status: Int32
    /// Everything it wrote on stdout, as bytes.
    let stdoutData: Data
    /// Everything it wrote on stderr.
    let stderr: String

    /// Everything it wrote on stdout.
    var stdout: String { String(decoding: stdoutData, as: UTF8.self) }

    /// Stdout without the final newline.
    var output: String { stdout.trimmingCharacters(in: .newlines) }

    /// Stdout parsed as one JSON document (`--json`).
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: stdoutData, options: [.fragmentsAllowed])
        } catch {
            Issue.record("stdout of \(self) is not JSON: \(stdout)", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// Stdout parsed as a JSON object.
    func jsonObject(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(
            try json(sourceLocation: sourceLocation) as? [String: Any], "\(self)", sourceLocation: sourceLocation)
    }

    /// Stdout parsed as a JSON array.
    func jsonArray(sourceLocation: SourceLocation = #_sourceLocation) throws -> [Any] {
        try #require(try json(sourceLocation: sourceLocation) as? [Any], "\(self)", sourceLocation: sourceLocation)
    }

    var description: String {
        "waypost \(arguments.joined(separator: " ")) -> \(status)"
            + (stderr.isEmpty ? "" : ", stderr: \(stderr.trimmingCharacters(in: .newlines))")
    }
}

/// Finds and runs the built `waypost` executable.
enum WaypostProcess {
    /// The passphrase every test node is created and opened with (`$WAYPOST_PASSPHRASE` unless a test
    /// sets another).
    static let passphrase = "test passphrase, not secret"

    /// Where the binary is, or why it could not be found.
    static let binary: Result<URL, BinaryNotFound> = locate()

    /// Why the binary could not be found.
    struct BinaryNotFound: Error, CustomStringConvertible {
        let looked: [String]
        var description: String {
            "the waypost executable was not found; build it with 'swift build' (the CLI tests depend on the "
                + "waypost target). Looked in: " + looked.joined(separator: ", ")
        }
    }

    /// `setsid(1)`, which runs a program in a new session: one with no controlling terminal, so that
    /// opening `/dev/tty` fails there whatever terminal the tests run in.
    static let sessionLauncher: URL? = ["/usr/bin/setsid", "/bin/setsid"].lazy.map { URL(fileURLWithPath: $0) }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    /// Runs `waypost arguments` in `directory` with `environment` added to (and overriding) this
    /// process's environment, and waits for it. With `detached`, it runs in a session of its own
    /// (`setsid --wait`), with no terminal to ask for a passphrase.
    ///
    /// If `$WAYPOST_CLI_LAUNCH_LOG` names a file, each launch appends a line to it: count them with
    /// `wc -l` to keep the suite's cost in view.
    ///
    /// With a `launcher`, the binary runs as the last argument of that command line (which must `exec`
    /// its trailing arguments), for instance inside a mount namespace with a full disk.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], in directory: URL, detached: Bool = false,
        launcher: [String] = []
    ) throws -> WaypostResult {
        let executable = try binary.get()
        if let log = ProcessInfo.processInfo.environment["WAYPOST_CLI_LAUNCH_LOG"], !log.isEmpty {
            let descriptor = open(log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            if descriptor >= 0 {
                let line = Array((arguments.prefix(2).joined(separator: " ") + "\n").utf8)
                _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                close(descriptor)
            }
        }
        let capture = directory.appendingPathComponent(".capture-\(UUID().uuidString)")
        let stdoutURL = capture.appendingPathExtension("out")
        let stderrURL = capture.appendingPathExtension("err")
        // Files, not pipes: a pipe that fills while we wait for the process would deadlock.
        for url in [stdoutURL, stderrURL] where !FileManager.default.createFile(atPath: url.path, contents: nil) {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        defer {
            try? FileManager.default.removeItem(at: stdoutURL)
            try? FileManager.default.removeItem(at: stderrURL)
        }
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)

        let process = Process()
        if detached {
            guard let launcher = WaypostProcess.sessionLauncher else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "setsid(1), which detached runs need"])
            }
            process.executableURL = launcher
            process.arguments = ["--wait", executable.path] + arguments
        } else if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(launcher.dropFirst()) + [executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        var merged = ProcessInfo.processInfo.environment
        merged["WAYPOST_HOME"] = nil
        merged["HOME"] = directory.path  // never the user's ~/.waypost
        merged["WAYPOST_PASSPHRASE"] = WaypostProcess.passphrase
        merged["WAYPOST_NEW_PASSPHRASE"] = nil
        merged.merge(environment) { _, new in new }
        process.environment = merged
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        try process.run()
        process.waitUntilExit()
        try stdoutHandle.close()
        try stderrHandle.close()
        return WaypostResult(
            arguments: arguments, status: process.terminationStatus,
            stdoutData: try Data(contentsOf: stdoutURL),
            stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self))
    }

    /// Looks next to the running test executable (SwiftPM puts every product of a build in one
    /// directory), then in `<package>/.build/debug`. `WAYPOST_BINARY` overrides both.
    private static func locate(filePath: String = #filePath) -> Result<URL, BinaryNotFound> {
        var directories: [URL] = []
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: resolved).deletingLastPathComponent())
        }
        if let first = CommandLine.arguments.first, first.contains("/") {
            directories.append(URL(fileURLWithPath: first).standardizedFileURL.deletingLastPathComponent())
        }
        let bundleURL = Foundation.Bundle.main.bundleURL
        directories += [bundleURL, bundleURL.deletingLastPathComponent()]
        let package = URL(fileURLWithPath: filePath)
            .deletingLastPathComponent()  // WaypostCLITests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the package
        directories.append(package.appendingPathComponent(".build/debug"))

        var candidates = directories.map { $0.appendingPathComponent("waypost") }
        if let explicit = ProcessInfo.processInfo.environment["WAYPOST_BINARY"], !explicit.isEmpty {
            candidates.insert(URL(fileURLWithPath: explicit), at: 0)
        }
        var isDirectory: ObjCBool = false
        for candidate in candidates
        where FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory)
            && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: candidate.path)
        {
            return .success(candidate)
        }
        return .failure(BinaryNotFound(looked: candidates.map(\.path)))
    }
}

/// A temporary directory for one test, removed when the test lets go of it.
final class Sandbox: Sendable {
    /// The directory.
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("waypost-cli-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// A path inside the sandbox.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Runs `waypost` in the sandbox with no node home chosen (`$HOME` is the sandbox).
    func run(
        _ arguments: [String], environment: [String: String] = [:], detached: Bool = false, launcher: [String] = []
    ) throws -> WaypostResult {
        try WaypostProcess.run(arguments, environment: environment, in: url, detached: detached, launcher: launcher)
    }

    /// Writes `bytes` to a new file in the sandbox and returns its path.
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Lays out a node captured with ``TestNode/image()`` in this sandbox, under its own name or `name`.
    func restore(_ image: NodeImage, as name: String? = nil) throws -> TestNode {
        let node = TestNode(name: image.name, home: path(name ?? image.name), sandbox: self, nodeID: image.nodeID)
        try image.write(to: node.home)
        return node
    }

    /// A node home in the sandbox, not yet initialised.
    func home(_ name: String) -> TestNode { TestNode(name: name, home: path(name), sandbox: self, nodeID: "") }

    /// Creates a node named `name` with its home in the sandbox.
    func node(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> TestNode {
        // Argon2id at its smallest: hundreds of nodes are made, and the passphrase here protects nothing.
        let output = try home(name).succeed(
            ["init", "--name", name, "--insecure-fast-passphrase-for-tests"], sourceLocation: sourceLocation)
        // "created node NAME in HOME", "node id: ID".
        let id = try #require(
            output.split(separator: "\n").first { $0.hasPrefix("node id: ") }?.dropFirst(9),
            "init printed no node id: \(output)", sourceLocation: sourceLocation)
        return TestNode(name: name, home: path(name), sandbox: self, nodeID: String(id))
    }
}

/// A node home that commands run against, chosen through `$WAYPOST_HOME`.
struct TestNode: Sendable {
    /// The node's name (also the name its peers know it by in these tests).
    let name: String
    /// Its home directory.
    let home: String
    /// The sandbox it lives in.
    let sandbox: Sandbox
    /// Its node id as `init` printed it (empty for a home with no node).
    let nodeID: String

    /// Runs `waypost arguments` with `WAYPOST_HOME` set to this node's home, and `environment`.
    func run(
        _ arguments: [String], environment: [String: String] = [:], detached: Bool = false, launcher: [String] = []
    ) throws -> WaypostResult {
        try sandbox.run(
            arguments, environment: environment.merging(["WAYPOST_HOME": home]) { $1 }, detached: detached, launcher: launcher)
    }

    /// Runs a command that must succeed with nothing on stderr, and returns its stdout without the final newline.
    @discardableResult
    func succeed(
        _ arguments: [String], environment: [String: String] = [:], detached: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try run(arguments, environment: environment, detached: detached)
        try #require(result.status == 0, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.isEmpty, "\(result)", sourceLocation: sourceLocation)
        return result.output
    }

    /// Runs a reading command with `--json` that must succeed; returns its raw stdout.
    func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> WaypostResult {
        let result = try run(arguments + ["--json"])
        try #require(result.status == 0, "\(result)", sourceLocation: sourceLocation)
        return result
    }

    /// Makes `self` and `other` peers of each other, under their names.
    func pair(with other: TestNode, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try succeed(["peer", "add", other.name, other.nodeID], sourceLocation: sourceLocation)
        try other.succeed(["peer", "add", name, nodeID], sourceLocation: sourceLocation)
    }

    /// Exports a bundle for `peer` to a new file in the sandbox and returns its path.
    func export(to peer: TestNode, all: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> String
    {
        try export(to: [peer], all: all, sourceLocation: sourceLocation)
    }

    /// Exports a bundle encrypted for `peers` (every change with `all`; a backup only this node can
    /// read when `peers` is empty) to a new file in the sandbox, and returns its path.
    func export(to peers: [TestNode], all: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> String
    {
        let audience = peers.isEmpty ? "self" : peers.map(\.name).joined(separator: "+")
        let file = sandbox.path("\(name)-to-\(audience)-\(UUID().uuidString.prefix(8)).wpb")
        let target = peers.flatMap { ["--to", $0.name] } + (all || peers.isEmpty ? ["--all"] : [])
        try succeed(["bundle", "export"] + target + ["--out", file], sourceLocation: sourceLocation)
        return file
    }

    /// Makes this node trust `other` and be able to address bundles to it: `peer add`, under its name.
    func trust(_ other: TestNode, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try succeed(["peer", "add", other.name, other.nodeID], sourceLocation: sourceLocation)
    }

    /// The bytes of this node's files, to lay the node out again elsewhere with
    /// ``Sandbox/restore(_:as:)``: a node built once serves many tests. Take it between commands,
    /// when no process has the replica open.
    func image() throws -> NodeImage {
        try NodeImage(name: name, nodeID: nodeID, home: home)
    }

    /// Imports a bundle file and returns what `bundle import --json` reported.
    @discardableResult
    func importBundle(_ file: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try json(["bundle", "import", file], sourceLocation: sourceLocation).jsonObject(sourceLocation: sourceLocation)
    }

    /// Carries what `self` has that `peer` may lack to `peer`.
    @discardableResult
    func send(to peer: TestNode, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try peer.importBundle(export(to: peer, sourceLocation: sourceLocation), sourceLocation: sourceLocation)
    }

    /// The replica as a user sees it: `status --json` (the change count, each origin's version, the
    /// record and conflict counts, what each peer has seen and when) and `case list --json` (every
    /// case's fields and conflicts). A command that must change nothing leaves both byte for byte
    /// the same. Two launches, so tests can afford one before and after every refusal.
    func snapshot(sourceLocation: SourceLocation = #_sourceLocation) throws -> Snapshot {
        let status = try json(["status"], sourceLocation: sourceLocation)
        let changes = try status.jsonObject(sourceLocation: sourceLocation)["changes"] as? Int
        return Snapshot(
            status: status.stdout, changes: changes ?? -1,
            cases: try json(["case", "list"], sourceLocation: sourceLocation).stdout)
    }
}

extension TestNode {
    /// The replica's content, which nodes that have the same changes agree on byte for byte: every
    /// case, every service, the conflicts, and from `status --json` the change count and the version
    /// vector. (Unlike ``snapshot(sourceLocation:)`` it leaves out the node's own name and id and its
    /// peers' bookkeeping, such as when each last sent a bundle.)
    func content(sourceLocation: SourceLocation = #_sourceLocation) throws -> Content {
        let status = try json(["status"], sourceLocation: sourceLocation).jsonObject(sourceLocation: sourceLocation)
        let versions = try #require(status["versions"] as? [String: Any], sourceLocation: sourceLocation)
        return Content(
            cases: try json(["case", "list"], sourceLocation: sourceLocation).stdout,
            services: try json(["service", "list"], sourceLocation: sourceLocation).stdout,
            conflicts: try json(["conflicts"], sourceLocation: sourceLocation).stdout,
            changes: status["changes"] as? Int ?? -1,
            versions: versions.compactMapValues { $0 as? Int })
    }
}

/// A node's home directory held in memory: every file's bytes and permissions.
struct NodeImage: Sendable {
    /// The node's name.
    let name: String
    /// Its node id.
    let nodeID: String
    /// Each file's path relative to the home, bytes and POSIX permissions.
    let files: [String: (bytes: Data, permissions: Int)]

    init(name: String, nodeID: String, home: String) throws {
        self.name = name
        self.nodeID = nodeID
        let manager = FileManager.default
        var files: [String: (Data, Int)] = [:]
        for relative in try manager.subpathsOfDirectory(atPath: home) {
            let path = home + "/" + relative
            let attributes = try manager.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            files[relative] = (
                try Data(contentsOf: URL(fileURLWithPath: path)), (attributes[.posixPermissions] as? Int) ?? 0o600
            )
        }
        self.files = files
    }

    /// Writes the files under `home` (mode 0700, as `init` makes it).
    func write(to home: String) throws {
        let manager = FileManager.default
        for (relative, file) in files.sorted(by: { $0.key < $1.key }) {
            let url = URL(fileURLWithPath: home + "/" + relative)
            try manager.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try file.bytes.write(to: url)
            try manager.setAttributes([.posixPermissions: file.permissions], ofItemAtPath: url.path)
        }
    }
}

/// What ``TestNode/content(sourceLocation:)`` saw.
struct Content: Equatable, Sendable {
    let cases: String
    let services: String
    let conflicts: String
    let changes: Int
    let versions: [String: Int]
}

/// What ``TestNode/snapshot(sourceLocation:)`` saw.
struct Snapshot: Equatable, Sendable {
    /// `status --json`.
    let status: String
    /// Its `changes` count.
    let changes: Int
    /// `case list --json`.
    let cases: String
}

/// Expects `result` to be a failure as the CLI documents them: the exit code, nothing on stdout and
/// exactly one line on stderr starting `waypost: `.
func expectFailure(
    _ result: WaypostResult, exitCode: Int32, mentioning words: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status == exitCode, "\(result)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("waypost: "), "\(result)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasSuffix("\n"), "\(result)", sourceLocation: sourceLocation)
    #expect(
        result.stderr.filter(\.isNewline).count == 1, "not one line: \(result.stderr.debugDescription)",
        sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, "\(result) printed on stdout: \(result.stdout)", sourceLocation: sourceLocation)
    for word in words {
        #expect(result.stderr.contains(word), "\(result) does not mention \(word)", sourceLocation: sourceLocation)
    }
}
