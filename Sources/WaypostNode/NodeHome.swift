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
}
