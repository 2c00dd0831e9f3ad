/// One field of a collection: its name, how it merges, the type of its values, and for `entries` and
/// structured `log` fields, the fields of each entry.
public struct FieldSpec: Sendable, Hashable {
    /// The field's name as typed on the command line and shown as a SQL column.
    public let name: String
    /// How concurrent changes merge.
    public let kind: FieldKind
    /// The type of each value (for sets, of each element; for logs, of each entry's text).
    public let type: ValueType
    /// The fields of each entry of an `entries` field, or of each record of a structured `log`.
    public let members: [FieldSpec]
    /// False for fields that must not be shown in public listings (a service's referral contact).
    public let isPublic: Bool
    /// One line for help text.
    public let summary: String

    init(_ name: String, _ kind: FieldKind, _ type: ValueType, members: [FieldSpec] = [], isPublic: Bool = true,
         summary: String) {
        self.name = name
        self.kind = kind
        self.type = type
        self.members = members
        self.isPublic = isPublic
        self.summary = summary
    }

    /// A register: one value, concurrent writes kept as a conflict.
    static func register(_ name: String, _ type: ValueType, _ summary: String, isPublic: Bool = true) -> FieldSpec {
        FieldSpec(name, .register, type, isPublic: isPublic, summary: summary)
    }

    /// An add-wins set of values.
    static func set(_ name: String, _ type: ValueType, _ summary: String) -> FieldSpec {
        FieldSpec(name, .set, type, summary: summary)
    }

    /// An append-only log of text entries, or of structured entries when `members` is not empty.
    static func log(_ name: String, _ summary: String, members: [FieldSpec] = []) -> FieldSpec {
        FieldSpec(name, .log, .text, members: members, summary: summary)
    }

    /// A counter that adds up increments from every node.
    static func counter(_ name: String, _ summary: String) -> FieldSpec {
        FieldSpec(name, .counter, .integer(-1_000_000...1_000_000), summary: summary)
    }

    /// A keyed map of sub-records whose fields are registers.
    static func entries(_ name: String, _ summary: String, members: [FieldSpec]) -> FieldSpec {
        FieldSpec(name, .entries, .text, members: members, summary: summary)
    }

    /// The member named `name`, or an error listing the known ones.
    public func member(named name: String) throws(CoreError) -> FieldSpec {
        guard let member = members.first(where: { $0.name == name }) else {
            throw CoreError(
                .unknownField,
                "'\(name)' is not a field of \(self.name) entries; known: "
                    + members.map(\.name).joined(separator: ", "))
        }
        return member
    }
}
