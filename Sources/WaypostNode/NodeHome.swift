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

    /// Takes group and other permissions away from the directory and the node's own files in it (the key
    /// files, the replica with its `-wal` and `-shm`, the `networks` folder and what it holds, and any other
    /// `replica.sqlite*` or `.wp*` file Waypost left there), so that a home made by hand, or by a Waypost that
    /// left modes to the umask, is readable by its owner alone. Nothing else in the directory is touched (a
    /// home given by mistake as `/tmp` must not change every file in it), nor symbolic links.
    func restrictToOwner() {
        restrict(path)
        let files = FileManager.default
        for name in (try? files.contentsOfDirectory(atPath: path)) ?? [] where Self.isNodeFile(name) {
            restrict(path + "/" + name)
        }
        let networks = path + "/networks"
        for name in (try? files.contentsOfDirectory(atPath: networks)) ?? [] { restrict(networks + "/" + name) }
    }

    /// Whether a file of the home directory is one of the node's own.
    static func isNodeFile(_ name: String) -> Bool {
        name == "identity.key" || name == "networks" || name == "serve.lock" || name.hasPrefix("replica.sqlite")
            || name.hasSuffix(".wpb") || name.hasSuffix(".wpbackup")
    }

    private func restrict(_ file: String) {
        var status = stat()
        guard lstat(file, &status) == 0, status.st_mode & S_IFMT != S_IFLNK, status.st_mode & 0o077 != 0 else { return }
        _ = chmod(file, status.st_mode & 0o700)
    }
}
