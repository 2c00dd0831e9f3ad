import Foundation

/// Runs a program and reports its time and peak resident memory (`wait4`'s `ru_maxrss`).
enum ChildProcess {
    struct Result {
        let seconds: Double
        let maximumResidentKilobytes: Int
    }

    /// The `waypost` binary built beside this one.
    static func waypostBinary() -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("waypost").path
    }

    /// Spawns the program with `posix_spawn` and reports its peak resident memory as the kernel's
    /// high-water mark of the program's own memory (`VmHWM` in `/proc/PID/status`, read every 5 ms until
    /// it exits).
    ///
    /// Not `wait4`'s `ru_maxrss`: glibc's `posix_spawn` clones with `CLONE_VM`, and on `exec` Linux folds
    /// the high-water mark of the memory the child was cloned with (this benchmark's own, hundreds of
    /// megabytes) into the child's `ru_maxrss`, so that figure reports the parent, not the child.
    static func run(_ path: String, _ arguments: [String]) throws -> Result {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 1, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        guard posix_spawn(&pid, path, &fileActions, nil, argv, environ) == 0 else { throw BenchError("cannot start \(path)") }
        var status: Int32 = 0
        var peak = 0
        while true {
            // Read before reaping: once reaped, /proc/PID is gone.
            peak = max(peak, highWaterKilobytes(of: pid) ?? 0)
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            guard reaped == 0 else { throw BenchError("waitpid failed") }
            usleep(5_000)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard status == 0 else { throw BenchError("\(path) \(arguments.joined(separator: " ")) exited with status \(status)") }
        return Result(seconds: seconds, maximumResidentKilobytes: peak)
    }

    /// `VmHWM` of a running process, in kilobytes.
    private static func highWaterKilobytes(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    }
}
