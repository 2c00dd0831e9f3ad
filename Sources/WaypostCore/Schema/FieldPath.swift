/// A field of a record as changes address it: a top-level field, or one field of one entry of an
/// `entries` field (`household.KEY.given_name`).
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    /// The top-level field.
    public let field: FieldSpec
    /// The entry's key, for a field of an entry.
    public let entry: EntryKey?
    /// The entry's field, for a field of an entry.
    public let member: FieldSpec?

    /// The merge kind of the addressed value: entry fields are registers.
    public var kind: FieldKind { member == nil ? field.kind : .register }

    /// The type of the addressed value.
    public var type: ValueType { member?.type ?? field.type }

    /// The path as text: `given_name` or `household.KEY.given_name`.
    public var description: String {
        guard let entry, let member else { return field.name }
        return "\(field.name).\(entry.text).\(member.name)"
    }
}

/// The key of one entry of an `entries` field: 8 lower-case base32 characters, made at random by the
/// node that adds the entry.
public struct EntryKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The key's text.
    public let text: String

    /// Parses a key: 4 to 16 characters from a-z and 2-7.
    public init(parsing text: String) throws(CoreError) {
        let lowered = text.lowercased()
        guard (4...16).contains(lowered.count), lowered.utf8.allSatisfy({ Base32.value(of: $0) != nil }) else {
            throw CoreError(.malformedIdentifier, "'\(text)' is not an entry key: expected letters a-z and digits 2-7")
        }
        self.text = lowered
    }

    /// A new random key.
    public static func random() -> EntryKey {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<5).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return EntryKey(canonical: Base32.encode(bytes).lowercased())
    }

    private init(canonical: String) { self.text = canonical }

    public var description: String { text }

    public static func < (lhs: EntryKey, rhs: EntryKey) -> Bool { lhs.text < rhs.text }
}
