/// What a trusted node may do. Every trusted node's changes are accepted; only admins' directives
/// (revocations and erasures, ``Directive``) are.
public enum Role: UInt8, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// A field node: a border post, a clinic.
    case field = 1
    /// An admin node.
    case admin = 2

    /// `field` or `admin`.
    public var description: String { self == .admin ? "admin" : "field" }

    /// Parses `field` or `admin`.
    public init?(name: String) {
        switch name.lowercased() {
        case "field": self = .field
        case "admin": self = .admin
        default: return nil
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}
