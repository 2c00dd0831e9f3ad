#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import CSodium

/// Takes a secret, such as `$WAYPOST_PASSPHRASE`, out of the process's environment once it is read.
///
/// Removing a variable with `unsetenv` alone is not enough: the kernel shows a process's environment in
/// `/proc/PID/environ` from the memory where it was placed at `exec`, which `unsetenv` does not touch
/// (https://man7.org/linux/man-pages/man5/proc_pid_environ.5.html). So the variable's `NAME=value` bytes
/// are overwritten with zeros where they are, and then it is unset, so that child processes, which
/// inherit `environ`, never see it either.
package enum EnvironmentSecret {
    /// The value of the environment variable `name`, which is then removed from the environment and its
    /// bytes zeroed; nil if it is not set.
    ///
    /// Call it before the process starts other threads: the C environment has no lock
    /// (https://man7.org/linux/man-pages/man3/getenv.3.html). If the environment holds `name` more than
    /// once (possible only with a hand-built `envp`), every entry is unset but only the first is zeroed.
    package static func take(_ name: String) -> String? {
        guard let found = getenv(name) else { return nil }
        let valueLength = strlen(found)
        let value = String(decoding: UnsafeRawBufferPointer(start: found, count: valueLength), as: UTF8.self)
        // getenv points just after "NAME=" inside the environment entry: zero the entry from its start.
        let entryStart = UnsafeMutableRawPointer(found) - (name.utf8.count + 1)
        _ = unsetenv(name)
        sodium_memzero(entryStart, name.utf8.count + 1 + valueLength)
        return value
    }
}
