public import WaypostCore

/// Why changes, a certificate, a directive or a bundle were not trusted. Whatever throws it has applied nothing.
public struct TrustError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem, for callers that branch on it.
    public enum Code: String, Sendable, Hashable {
        /// Changes from an origin this node does not trust.
        case untrustedOrigin = "untrusted-origin"
        /// A signature that does not verify, or a chain that does not lead to the signed head: the
        /// changes were altered, reordered or cut after their origin wrote them.
        case badSignature = "bad-signature"
        /// Changes whose last one carries no signature.
        case unsigned
        /// A record key missing where the chain needs one, or given where it must not be.
        case recordKey = "record-key"
        /// A certificate that is malformed or does not verify.
        case badCertificate = "bad-certificate"
        /// A directive that is malformed, has an empty or overlong reason, or does not verify.
        case badDirective = "bad-directive"
        /// A node revoked by an admin's directive (`Protocol/trust.md` §7.4).
        case revoked
    }

    /// What kind of problem.
    public let code: Code
    /// One line a person can act on.
    public let message: String
    /// The origin concerned, if any.
    public let origin: NodeID?

    /// Makes an error.
    public init(_ code: Code, _ message: String, origin: NodeID? = nil) {
        self.code = code
        self.message = message
        self.origin = origin
    }

    public var description: String { message }
}
