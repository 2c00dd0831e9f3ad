import Foundation

/// A `waypost serve` in a separate process on 127.0.0.1 and a port the system picks, for the figures
/// that cross a real TCP connection (targets 4, 5 and 6).
final class ServeChild {
    /// Where it listens, `127.0.0.1:PORT`.
    let address: String
    private let process = Process()

    /// Starts `waypost serve` for the node in `home` and waits until it listens.
    init(home: String, arguments: [String] = []) throws {
        let output = home + "/serve.out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.executableURL = URL(fileURLWithPath: ChildProcess.waypostBinary())
        process.arguments = ["serve", "--home", home, "--listen", "127.0.0.1:0", "--log-level", "error"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<300 {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) {
                address = String(line.dropFirst("listening on ".count))
                return
            }
            usleep(20_000)
        }
        process.terminate()
        throw BenchError("waypost serve did not start listening")
    }

    /// Stops it (SIGTERM) and waits.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Runs async work from the synchronous benchmark and waits for it.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

/// Where `blocking` leaves the result: written by the task before it signals, read after the wait.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
