#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import CProcessControl

/// What a process holding keys does to keep them from leaving it: no core dump, and no other process of
/// the same user reading its memory.
///
/// A core dump writes the whole address space (identity key, storage key, record keys, decrypted values)
/// to a file; `ptrace` and `/proc/PID/mem` let any process of the same user read it live. `waypost` calls
/// ``disableCoreDumps()`` first thing, for every command.
package enum ProcessProtection {
    /// Sets the core file limit to zero, soft and hard, so that it cannot be raised again without
    /// `CAP_SYS_RESOURCE` (`setrlimit(RLIMIT_CORE)`, https://man7.org/linux/man-pages/man2/setrlimit.2.html), and marks the
    /// process not dumpable (`prctl(PR_SET_DUMPABLE, 0)`): no core dump even where a crash handler would
    /// write one regardless of the limit (`core_pattern` piped to a program), no `ptrace` attach and no
    /// `/proc/PID/mem`, `/proc/PID/environ` for processes of the same user (root keeps access).
    ///
    /// - Returns: whether both took effect (they fail only on a system without them).
    @discardableResult
    package static func disableCoreDumps() -> Bool {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        let limited = setrlimit(resource, &none) == 0
        let undumpable = waypost_set_dumpable(0) == 0
        return limited && undumpable
    }

    /// Whether the process may dump core (`prctl(PR_GET_DUMPABLE)`).
    package static var isDumpable: Bool { waypost_get_dumpable() != 0 }

    /// The soft and hard core file limits, in bytes.
    package static var coreFileLimit: (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        _ = getrlimit(resource, &limit)
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    #if canImport(Glibc)
        private static let resource = __rlimit_resource_t(RLIMIT_CORE.rawValue)
    #else
        private static let resource = RLIMIT_CORE
    #endif
}
