import Foundation
import Testing

/// A `waypost serve` running in the background for one test, on 127.0.0.1 and a port the system
/// picked. Killed (SIGKILL) when the test lets go of it, if it still runs.
final class ServeProcess: @unchecked Sendable {
    /// The node it serves.
    let node: TestNode
    /// The address it listens on, `127.0.0.1:PORT`.
    let address: String
    /// Its log (stderr) so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private let process: Process
    private let logPath: String

    /// Starts `waypost serve` for `node` on `127.0.0.1:port` (0: any free port) with `arguments` added,
    /// and waits until it listens. A `launcher` (a program and its arguments that then `exec` the binary
    /// in the same process, such as `prlimit --core=unlimited --`) runs it.
    init(
        _ node: TestNode, port: Int = 0, arguments: [String] = [], launcher: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        self.node = node
        let capture = node.sandbox.path("serve-\(node.name)-\(UUID().uuidString.prefix(8))")
        let outPath = capture + ".out"
        logPath = capture + ".log"
        process = try Process.waypost(
            ["serve", "--listen", "127.0.0.1:\(port)"] + arguments, for: node, stdout: outPath, stderr: logPath,
            launcher: launcher)
        var listening: String? = nil
        let deadline = Date().addingTimeInterval(20)
        while listening == nil, Date() < deadline, process.isRunning {
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            listening = out.split(separator: "\n").first { $0.hasPrefix("listening on ") }.map { String($0.dropFirst(13)) }
            if listening == nil { usleep(20_000) }
        }
        guard let listening else {
            process.terminate()
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            Issue.record("serve for \(node.name) did not start listening: \(log)", sourceLocation: sourceLocation)
            throw CocoaError(.executableLoad)
        }
        address = listening
    }

    /// The port it listens on.
    var port: Int { Int(address.split(separator: ":").last!)! }

    /// Whether it still runs.
    var isRunning: Bool { process.isRunning }

    /// Its process id.
    var processIdentifier: Int32 { process.processIdentifier }

    /// The most memory it has held resident so far (`VmHWM` in `/proc/PID/status`), in bytes.
    var peakResidentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// Sends `signal` and waits for the process to end; returns its exit status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

extension Process {
    /// Starts `waypost arguments` for `node` (its home in `WAYPOST_HOME`, the sandbox as `HOME`), with
    /// stdout and stderr going to new files at the given paths, through `launcher` if there is one.
    static func waypost(
        _ arguments: [String], for node: TestNode, stdout: String, stderr: String, launcher: [String] = []
    ) throws -> Process {
        let process = Process()
        for path in [stdout, stderr] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let binary = try WaypostProcess.binary.get()
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(launcher.dropFirst()) + [binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        process.currentDirectoryURL = node.sandbox.url
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = node.sandbox.url.path
        environment["WAYPOST_HOME"] = node.home
        environment["WAYPOST_PASSPHRASE"] = WaypostProcess.passphrase
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        try process.run()
        return process
    }
}

/// Polls `condition` every 100 ms until it holds or `seconds` pass; returns whether it held. For
/// waiting on other processes, not for judging speed: the bound is generous.
func eventually(within seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(100_000)
    }
    return try condition()
}

/// A plain TCP connection to a node, for sending it what no honest peer would. (`@unchecked Sendable`:
/// a test hands each connection to one thread at a time, and a socket may be used from any thread.)
final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    /// Connects to 127.0.0.1:`port`, with a receive buffer of `receiveBuffer` bytes if given (a small one
    /// makes a peer that stops reading stall the other side's writes sooner).
    init(port: Int, receiveBuffer: Int? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
        }
    }

    deinit { closeNow() }

    private var closed = false

    /// Closes the connection from this side.
    func closeNow() {
        guard !closed else { return }
        closed = true
        close(descriptor)
    }

    /// Sends `bytes` (ignoring a connection the other side already closed).
    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends as much of `bytes` as the other side takes within `seconds`, without blocking past them;
    /// returns how many bytes it took. Stops early if the other side closes the connection.
    func send(_ bytes: [UInt8], within seconds: Double) -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        var sent = 0
        while sent < bytes.count, Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            guard poll(&poller, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) > 0 else { continue }
            if poller.revents & Int16(POLLERR | POLLHUP) != 0 { break }
            let count = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if count > 0 {
                sent += count
            } else if count < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
                break
            }
        }
        return sent
    }

    /// Sends `bytes` `times` times over, as much as the other side takes within `seconds`; returns how
    /// many bytes it took.
    func send(_ bytes: [UInt8], times: Int, within seconds: Double) -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        var sent = 0
        for _ in 0..<times {
            let count = send(bytes, within: max(0, deadline.timeIntervalSinceNow))
            sent += count
            if count < bytes.count { break }
        }
        return sent
    }

    /// Sends one frame: a 4-byte big-endian length and `payload`.
    func sendFrame(_ payload: [UInt8]) {
        let length = UInt32(payload.count)
        send([UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + payload)
    }

    /// Reads one frame's payload, or nil if the connection closed (or nothing came within `seconds`).
    func readFrame(within seconds: Double = 10) -> [UInt8]? {
        guard let header = read(4, within: seconds) else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        return read(length, within: seconds)
    }

    /// Waits up to `seconds` for the other side to close the connection; returns whether it did.
    /// Anything the other side sends first is read and dropped.
    func waitForClose(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, remaining) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return true }
        }
        return false
    }

    private func read(_ count: Int, within seconds: Double) -> [UInt8]? {
        var result: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: max(count, 1))
        while result.count < count {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(deadline.timeIntervalSinceNow * 1000)
            guard remaining > 0, poll(&poller, 1, remaining) > 0 else { return nil }
            let got = recv(descriptor, &buffer, count - result.count, 0)
            guard got > 0 else { return nil }
            result += buffer[0..<got]
        }
        return result
    }
}
