import Foundation
import Testing
import WaypostCore
import WaypostNode
import WaypostStore
import WaypostSync
import GRDB

/// Live sync between real `waypost serve` processes on 127.0.0.1, with ports picked at run time
/// (issue: live sync, "Done means").
@Suite struct LiveSyncTests {
    @Test func twoServingNodesConvergeAndKeepUp() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        try post.succeed(["case", "add", "given_name=Amina", "risk_level=low"])
        try clinic.succeed(["case", "add", "given_name=Omar"])
        let clinicServe = try ServeProcess(clinic)
        try post.succeed(["peer", "address", "clinic", clinicServe.address])
        let postServe = try ServeProcess(post)

        try expectConverged([post, clinic])
        // A change made once both are caught up travels without anyone asking.
        let amina = try #require(try post.caseIDs().first { try post.field($0, "given_name") == "Amina" })
        try clinic.succeed(["case", "set", amina, "risk_level=high"])
        #expect(try eventually { try post.field(amina, "risk_level") == "high" }, "\(postServe.log)")
        try expectConverged([post, clinic])
        #expect(postServe.log.contains("caught up"))
        #expect(!postServe.log.contains("Amina") && !clinicServe.log.contains("Amina"), "no personal data in logs")
    }

    @Test func threeNodesInALineConvergeThroughTheMiddle() throws {
        let sandbox = try Sandbox()
        let a = try sandbox.node("a"), b = try sandbox.node("b"), c = try sandbox.node("c")
        try a.pair(with: b)
        try b.pair(with: c)
        // a and c trust each other's changes but never connect: b relays.
        try a.trust(c)
        try c.trust(a)
        try a.succeed(["case", "add", "given_name=FromA"])
        try c.succeed(["case", "add", "given_name=FromC"])
        let middle = try ServeProcess(b)
        try a.succeed(["peer", "address", "b", middle.address])
        try c.succeed(["peer", "address", "b", middle.address])
        let ends = [try ServeProcess(a), try ServeProcess(c)]
        try expectConverged([a, b, c])
        #expect(try a.caseIDs().count == 2)
        #expect(!ends[0].log.contains(c.nodeID.prefix(7)), "a never connects to c: \(ends[0].log)")
    }

    @Test func receiverKilledMidSyncResumesWithoutRedoingBatches() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let total = try post.createCases(3000, fields: 10)
        let receiver = try ServeProcess(clinic, arguments: ["--batch-changes", "100"])
        let database = clinic.home + "/replica.sqlite"

        // The post pushes; the clinic is killed once some batches, but not all, are committed.
        let sender = try post.startBackground(["sync", receiver.address, "--batch-changes", "100", "--json"])
        var committed = 0
        #expect(try eventually(within: 60) {
            committed = try Self.changeCount(database)
            return committed > 0
        })
        receiver.stop(SIGKILL)
        committed = try Self.changeCount(database)
        let first = sender.wait()
        try #require(committed < total, "the sync finished before the kill; nothing to resume (\(committed) of \(total))")
        #expect(first.status == 8, "the sender sees the link drop: \(first)")

        // Restarted, the clinic resumes: the post sends exactly what was not committed.
        let restarted = try ServeProcess(clinic)
        let second = try post.json(["sync", restarted.address]).jsonObject()
        #expect(second["sent"] as? Int == total - committed, "\(second); \(committed) were committed before the kill")
        #expect(try Self.changeCount(database) == total)
        try expectConverged([post, clinic])
    }

    @Test func linkThatDropsWhileBothEditConverges() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let record = try post.succeed(["case", "add", "given_name=Amina"])
        var clinicServe = try ServeProcess(clinic)
        let port = clinicServe.port
        try post.succeed(["peer", "address", "clinic", clinicServe.address])
        let postServe = try ServeProcess(post)
        try expectConverged([post, clinic])

        #expect(clinicServe.stop(SIGTERM) == 0, "serve stops cleanly on SIGTERM: \(clinicServe.log)")
        #expect(clinicServe.log.contains("stopped"))
        try post.succeed(["case", "set", record, "risk_level=high"])
        try clinic.succeed(["case", "set", record, "risk_level=medium"])
        try clinic.succeed(["case", "note", record, "seen at the clinic"])
        clinicServe = try ServeProcess(clinic, port: port)

        try expectConverged([post, clinic])
        let conflicts = try post.json(["conflicts"]).jsonArray()
        #expect(conflicts.count == 1, "the concurrent risk levels are kept as a conflict")
        _ = postServe
    }

    @Test func peerThatTrustsThisNodeOnlyLaterIsSyncedWithoutARestart() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post"), clinic = try sandbox.node("clinic")
        try post.trust(clinic)  // the clinic does not trust the post yet: it refuses the post's dials
        try post.succeed(["case", "add", "given_name=Amina"])
        let clinicServe = try ServeProcess(clinic)
        try post.succeed(["peer", "address", "clinic", clinicServe.address])
        let postServe = try ServeProcess(post)
        #expect(try eventually { clinicServe.log.contains("does not trust") }, "\(clinicServe.log)")
        try clinic.trust(post)
        // The post keeps dialling after the refusal, and the next dial gets through.
        #expect(try eventually(within: 60) { try clinic.caseIDs().count == 1 }, "\(postServe.log)")
    }

    @Test func untrustedNodeGetsNothing() throws {
        let sandbox = try Sandbox()
        let (post, _) = try sandbox.pair()
        try post.succeed(["case", "add", "given_name=Amina"])
        let stranger = try sandbox.node("stranger")
        try stranger.trust(post)  // the stranger trusts the post; the post does not trust it
        let serve = try ServeProcess(post)
        let before = try post.snapshot()

        let result = try stranger.run(["sync", serve.address])
        #expect(result.status == 5, "\(result)")
        #expect(result.stderr.contains("refused"), "\(result)")
        #expect(try stranger.caseIDs().isEmpty)
        #expect(try post.snapshot() == before)
        #expect(serve.log.contains("does not trust"), "\(serve.log)")
    }

    @Test func namedPeerMustBeTheNodeAtItsAddress() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let camp = try sandbox.node("camp")
        try camp.trust(post)
        try post.trust(camp)
        let campServe = try ServeProcess(camp)
        // The post believes the clinic is at the camp's address.
        try post.succeed(["peer", "address", "clinic", campServe.address])
        let result = try post.run(["sync", "clinic"])
        #expect(result.status == 5, "\(result)")
        #expect(result.stderr.contains("not the peer"), "\(result)")
        _ = clinic
    }

    @Test func syncWithThisNodesOwnServeIsRefused() throws {
        let sandbox = try Sandbox()
        let (post, _) = try sandbox.pair()
        try post.succeed(["case", "add", "given_name=Amina"])
        let serve = try ServeProcess(post)
        let before = try post.snapshot()
        let result = try post.run(["sync", serve.address])
        expectFailure(result, exitCode: 5, mentioning: ["this node itself", shortID(post.nodeID)])
        #expect(try post.snapshot() == before, "nothing is recorded of a sync with itself")
        #expect(serve.isRunning)
    }

    @Test func unreachablePeerFailsWithItsOwnExitCode() throws {
        let sandbox = try Sandbox()
        let (post, _) = try sandbox.pair()
        let port = try ServeProcess.freePort()
        let result = try post.run(["sync", "127.0.0.1:\(port)"])
        #expect(result.status == 8, "\(result)")
        #expect(result.stderr.contains("cannot connect"), "\(result)")
    }

    @Test func statusShowsWhatEachPeerLacksAndWhenItWasSeen() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        try post.succeed(["case", "add", "given_name=Amina"])
        let serve = try ServeProcess(clinic)
        try post.succeed(["peer", "address", "clinic", serve.address])
        try post.succeed(["sync", "clinic"])
        try post.succeed(["case", "add", "given_name=Omar"])

        let status = try post.json(["status"]).jsonObject()
        let peer = try #require((status["peers"] as? [[String: Any]])?.first)
        #expect(peer["address"] as? String == serve.address)
        #expect(peer["last_address"] as? String == serve.address)
        #expect(peer["last_seen_at"] is String)
        #expect(peer["last_synced_at"] is String)
        #expect(peer["lacks"] as? Int ?? 0 > 0, "the clinic lacks the case added after the sync: \(peer)")
        #expect(peer["we_lack"] as? Int == 0)
        #expect((peer["trust"] as? [[String: Any]])?.first?["kind"] as? String == "pairwise")
    }

    // MARK: Helpers

    /// Waits until every node has seen the same changes of every origin, then checks they agree byte
    /// for byte.
    func expectConverged(_ nodes: [TestNode], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let converged = try eventually(within: 60) {
            let versions = try nodes.map { try Self.versions($0.home + "/replica.sqlite") }
            return Set(versions).count == 1
        }
        #expect(converged, "the nodes never saw the same changes", sourceLocation: sourceLocation)
        let contents = try nodes.map { try $0.content(sourceLocation: sourceLocation) }
        for content in contents.dropFirst() { #expect(content == contents[0], sourceLocation: sourceLocation) }
    }

    /// The number of changes in a replica file, read without going through the binary.
    static func changeCount(_ path: String) throws -> Int {
        try readOnly(path) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes") ?? 0 }
    }

    /// Each origin's highest sequence in a replica file, as text.
    static func versions(_ path: String) throws -> [String] {
        try readOnly(path) { db in
            try Row.fetchAll(db, sql: "SELECT hex(node), sequence FROM origins WHERE sequence > 0 ORDER BY node").map { "\($0[0] as String):\($0[1] as Int64)" }
        }
    }

    static func readOnly<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration).read(body)
    }
}

extension TestNode {
    /// Every case id, from `case list --json`.
    func caseIDs() throws -> [String] {
        try json(["case", "list"]).jsonArray().compactMap { ($0 as? [String: Any])?["id"] as? String }
    }

    /// One field's shown value as text.
    func field(_ record: String, _ name: String) throws -> String? {
        let view = try json(["case", "show", record]).jsonObject()
        return (view["fields"] as? [String: Any])?[name].map { "\($0)" }
    }

    /// Creates `count` cases of `fields` fields each through the library, as a data-entry import would,
    /// and returns how many changes that made.
    func createCases(_ count: Int, fields: Int, valueLength: Int? = nil) throws -> Int {
        let node = try Node.open(home: NodeHome(explicit: home), passphrase: { WaypostProcess.passphrase })
        let keys = try node.signingKeys(passphrase: { WaypostProcess.passphrase })
        let names = ["given_name", "family_name", "owner", "location"]
        let schema = Schema.waypost[.caseFile]
        let records = try (0..<count).map { index in
            try (0..<fields).map { field throws(CoreError) in
                let name = field < names.count ? names[field] : "owner"
                let value = "value \(index) \(field)"
                let padded = valueLength.map { value.padding(toLength: $0, withPad: "x", startingAt: 0) } ?? value
                return try Edit(parsing: "\(name)=\(padded)", in: schema)
            }
        }
        let before = try node.replica.statistics().changes
        _ = try node.replica.createMany(.caseFile, records: records, signer: keys)
        return try node.replica.statistics().changes - before
    }

    /// Starts `waypost arguments` in the background.
    func startBackground(_ arguments: [String]) throws -> BackgroundRun {
        try BackgroundRun(self, arguments)
    }
}

/// A `waypost` command left running while the test does something else.
final class BackgroundRun: @unchecked Sendable {
    private let process: Process
    private let outPath: String
    private let errPath: String
    private let arguments: [String]

    init(_ node: TestNode, _ arguments: [String]) throws {
        self.arguments = arguments
        let capture = node.sandbox.path("run-\(UUID().uuidString.prefix(8))")
        outPath = capture + ".out"
        errPath = capture + ".err"
        process = try Process.waypost(arguments, for: node, stdout: outPath, stderr: errPath)
    }

    /// Whether the command still runs.
    var isRunning: Bool { process.isRunning }

    /// Waits for the command to end.
    func wait() -> WaypostResult {
        process.waitUntilExit()
        return WaypostResult(
            arguments: arguments, status: process.terminationStatus,
            stdoutData: (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data(),
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

extension ServeProcess {
    /// A port nothing listens on right now (bound, then released).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length)
                return getsockname(descriptor, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// `serve --discover`, on the loopback interface only.
@Suite struct DiscoveryTests {
    @Test func peersWithNoAddressFindEachOtherOnTheLocalNetwork() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()  // peers of each other, with no address
        try post.succeed(["case", "add", "given_name=Amina"])
        try clinic.succeed(["case", "add", "given_name=Omar"])
        let group = "239.255.78.50:\(try ServeProcess.freePort())"
        let discovery = ["--discover", "--discovery-group", group, "--discovery-interface", "127.0.0.1"]
        let servers = [try ServeProcess(post, arguments: discovery), try ServeProcess(clinic, arguments: discovery)]
        let converged = try eventually(within: 60) { try post.caseIDs().count == 2 && clinic.caseIDs().count == 2 }
        #expect(converged, "\(servers[0].log)\n\(servers[1].log)")
        #expect(servers[0].log.contains("discovered peer"))
    }

    /// Issue 15, §3: a unicast datagram from any host, forged with only a known node id, redirected a
    /// peer's dials.
    @Test func aForgedUnicastAnnouncementIsIgnored() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let port = try ServeProcess.freePort()
        let serve = try ServeProcess(post, arguments: Self.discovery(port))
        #expect(eventually { serve.log.contains("discovery on") }, "\(serve.log)")
        let clinicID = try NodeID(parsing: clinic.nodeID)
        let forged = UInt16(try ServeProcess.freePort()), heard = UInt16(try ServeProcess.freePort())
        // Straight to the post's discovery port, not through the group.
        try Datagram.send(Announcement(node: clinicID, port: forged).encoded, to: "127.0.0.1", port: port)
        // Then one through the group, on this link, which the post does hear (datagrams are read in order).
        try Datagram.send(Announcement(node: clinicID, port: heard).encoded, to: "239.255.78.50", port: port, interface: "127.0.0.1")
        #expect(eventually { serve.log.contains("127.0.0.1:\(heard)") }, "\(serve.log)")
        #expect(!serve.log.contains("127.0.0.1:\(forged)"), "\(serve.log)")
    }

    /// Issue 15, §3: a discovered address, forged or stale, replaced a stored address that works.
    @Test func aDiscoveredAddressDoesNotDisplaceAStoredOneThatWorks() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        try clinic.succeed(["case", "add", "given_name=Omar"])
        let clinicServe = try ServeProcess(clinic)
        let port = try ServeProcess.freePort()
        let postServe = try ServeProcess(post, arguments: Self.discovery(port))
        // Someone on the link announces the clinic, again and again, at a port where nothing listens.
        let forger = try Forger(Announcement(node: try NodeID(parsing: clinic.nodeID), port: UInt16(try ServeProcess.freePort())), port: port)
        #expect(eventually { postServe.log.contains("discovered peer") }, "\(postServe.log)")
        // The clinic's real address is stored: the post dials it, not the announced one.
        try post.succeed(["peer", "address", "clinic", clinicServe.address])
        #expect(try eventually(within: 60) { try post.caseIDs().count == 1 }, "\(postServe.log)")
        forger.stop()
    }

    static func discovery(_ port: Int) -> [String] {
        ["--discover", "--discovery-group", "239.255.78.50:\(port)", "--discovery-interface", "127.0.0.1"]
    }

    @Test func discoveryIsOffByDefault() throws {
        let sandbox = try Sandbox()
        let (post, _) = try sandbox.pair()
        let serve = try ServeProcess(post)
        usleep(300_000)
        #expect(!serve.log.contains("discovery on"), "\(serve.log)")
    }
}

/// UDP datagrams sent by hand, on this host only.
enum Datagram {
    /// Sends `bytes` to `host`:`port` (IPv4) from 127.0.0.1; through `interface` (`IP_MULTICAST_IF`) with a
    /// TTL of 1 when `host` is a multicast group.
    static func send(_ bytes: [UInt8], to host: String, port: Int, interface: String? = nil) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(descriptor) }
        if let interface {
            var local = in_addr()
            inet_pton(AF_INET, interface, &local)
            setsockopt(descriptor, Int32(IPPROTO_IP), IP_MULTICAST_IF, &local, socklen_t(MemoryLayout<in_addr>.size))
            var ttl: UInt8 = 1
            setsockopt(descriptor, Int32(IPPROTO_IP), IP_MULTICAST_TTL, &ttl, 1)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == bytes.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}

/// Sends one announcement to the discovery group on the loopback interface every half second, from
/// another thread, until stopped or released.
final class Forger: @unchecked Sendable {
    // `stopped` is read and written only under `lock`.
    private let lock = NSLock()
    private var stopped = false

    init(_ announcement: Announcement, port: Int) throws {
        let bytes = announcement.encoded
        try Datagram.send(bytes, to: "239.255.78.50", port: port, interface: "127.0.0.1")
        Thread.detachNewThread { [weak self] in
            while let forger = self, !forger.isStopped {
                try? Datagram.send(bytes, to: "239.255.78.50", port: port, interface: "127.0.0.1")
                usleep(500_000)
            }
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    /// Stops sending.
    func stop() { lock.withLock { stopped = true } }

    deinit { stop() }
}
