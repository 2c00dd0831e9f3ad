/// The two kinds of record a replica holds.
public enum RecordCollection: UInt8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Case files: a person's registration, status, needs, family links, notes and referrals.
    case caseFile = 1
    /// Service directory entries: shelters, clinics, legal aid, interpreters.
    case service = 2

    /// The name used on the command line, in JSON and in SQL: `case` or `service`.
    public var name: String {
        switch self {
        case .caseFile: "case"
        case .service: "service"
        }
    }

    /// The name of the read-only SQL view with one row per record: `cases` or `services`.
    public var viewName: String { name + "s" }

    /// Looks a collection up by its name (`case`, `cases`, `service` or `services`).
    public init(named name: String) throws(CoreError) {
        switch name.lowercased() {
        case "case", "cases": self = .caseFile
        case "service", "services": self = .service
        default: throw CoreError(.unknownCollection, "'\(name)' is not a collection: use 'case' or 'service'")
        }
    }

    public var description: String { name }

    public static func < (lhs: RecordCollection, rhs: RecordCollection) -> Bool { lhs.rawValue < rhs.rawValue }
}
