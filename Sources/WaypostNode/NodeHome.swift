public import Foundation

/// The directory a node keeps its files in: `--home DIR`, else `$WAYPOST_HOME`, else `~/.waypost`.
///
/// Layout: `identity.key` (the Ed25519 secret key, mode 0600), `replica.sqlite` with its `-wal` and
/// `-shm` files. The directory itself is mode 0700.
public struct NodeHome: Sendable, Hashable {
    /// The directory's path.
    public let path: String

    /// The home named by an explicit path, the environment, or the default.
    public init(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let explicit, !explicit.isEmpty {
            path = explicit
        } else if let fromEnvironment = environment["WAYPOST_HOME"], !fromEnvironment.isEmpty {
            path = fromEnvironment
        } else {
            path = (environment["HOME"] ?? NSHomeDirectory()) + "/.waypost"
        }
    }

    /// The replica database.
    public var replicaPath: String { path + "/replica.sqlite" }

    /// The identity key file.
    public var identityPath: String { path + "/identity.key" }

    /// Takes group and other permissions away from the directory and every file and folder in it, so that
    /// a home made by hand, or by a Waypost that left modes to the umask, is readable by its owner alone.
    /// Symbolic links are left alone, and so is what they point to.
    func restrictToOwner() {
        restrict(path)
        guard let entries = FileManager.default.enumerator(atPath: path) else { return }
        for case let relative as String in entries { restrict(path + "/" + relative) }
    }

    private func restrict(_ file: String) {
        var status = stat()
        guard lstat(file, &status) == 0, status.st_mode & S_IFMT != S_IFLNK, status.st_mode & 0o077 != 0 else { return }
        _ = chmod(file, status.st_mode & 0o700)
    }
}
