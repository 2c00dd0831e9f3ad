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

    /// Spawns the program with `posix_spawn` (Foundation's `Process` reaps its children itself, which
    /// would hide their resource usage from `wait4`).
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
        var usage = rusage()
        guard wait4(pid, &status, 0, &usage) == pid else { throw BenchError("wait4 failed") }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard status == 0 else { throw BenchError("\(path) \(arguments.joined(separator: " ")) exited with status \(status)") }
        return Result(seconds: seconds, maximumResidentKilobytes: usage.ru_maxrss)
    }
}
