import Foundation

/// The lock that lets one `waypost serve` at a time run on a node's home: an exclusive `flock(2)` on
/// `serve.lock` in the home, which holds the process id of the holder.
///
/// The kernel releases a `flock` when the last descriptor of its open file closes, so the lock goes with
/// the process however it ends (a crash or `kill -9` included) and a stale file never blocks the next
/// `serve`: only a running process holds it. The descriptor is opened with `O_CLOEXEC`, so a program
/// the holder starts does not inherit it.
public final class ServeLock: Sendable {
    /// The lock file's path.
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// The lock file of `home`.
    public static func path(in home: NodeHome) -> String { home.path + "/serve.lock" }

    /// Takes the lock of `home` for this process, and writes this process's id in the file.
    ///
    /// - Throws: ``NodeError`` `alreadyRunning`, naming the process that holds the lock, if another
    ///   `serve` runs on this home; `file` if the lock file cannot be opened.
    public static func acquire(home: NodeHome) throws(NodeError) -> ServeLock {
        let path = path(in: home)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw NodeError(.file, "cannot open the serve lock \(path): \(reason)")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            let holder = Self.holder(descriptor)
            close(descriptor)
            guard failure == EWOULDBLOCK else {
                throw NodeError(.file, "cannot lock \(path): \(String(cString: strerror(failure)))")
            }
            let process = holder.map { "process \($0)" } ?? "another process"
            throw NodeError(
                .alreadyRunning,
                "'waypost serve' is already running for \(home.path) (\(process), which holds \(path)); "
                    + "stop it first, or give this one another --home")
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return ServeLock(path: path, descriptor: descriptor)
    }

    /// The process id written in the lock file, if it holds one.
    private static func holder(_ descriptor: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }

    /// Gives the lock back (also done by the kernel when the process ends). The file stays, empty of
    /// meaning: the next holder rewrites it.
    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
