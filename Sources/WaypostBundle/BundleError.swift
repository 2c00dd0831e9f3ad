/// Why a bundle could not be read. Every case leaves the replica untouched: a bundle is decoded in
/// full, and checked, before anything from it is applied.
public struct BundleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem, for callers that branch on it.
    public enum Code: String, Sendable, Hashable {
        /// The file does not start with the bundle magic bytes.
        case notABundle = "not-a-bundle"
        /// The format version is newer than this node understands.
        case unsupportedVersion = "unsupported-version"
        /// The file ends before the bundle does.
        case truncated
        /// A frame's checksum does not match its bytes.
        case corrupt
        /// The bundle is encrypted for other nodes.
        case notForThisNode = "not-for-this-node"
        /// A structurally invalid field: an unknown frame or operation, a bad index, a length over
        /// its limit.
        case malformed
    }

    /// What kind of problem.
    public let code: Code
    /// One line a person can act on.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
