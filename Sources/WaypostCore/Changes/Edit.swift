/// A change a person asks for, before it becomes a ``Change``: `given_name=Amina`, `languages+=ar`,
/// `languages-=fr`, `occupied+=2`, `notes+=Seen at the clinic`, `household.KEY.sex=female`.
public struct Edit: Sendable, Hashable {
    /// The field, resolved against the schema.
    public let path: FieldPath
    /// What to do, with the value already in canonical form.
    public let action: Action

    /// The possible edits.
    public enum Action: Sendable, Hashable {
        /// Write a register (empty clears it).
        case assign(String)
        /// Add to a set.
        case insert(String)
        /// Remove from a set.
        case remove(String)
        /// Add to a counter.
        case increment(Int64)
        /// Append to a log.
        case append(String)
    }

    /// The largest amount one counter change may add or subtract.
    public static let maximumIncrement: Int64 = 1_000_000

    /// An edit whose value is already canonical.
    public init(path: FieldPath, action: Action) {
        self.path = path
        self.action = action
    }

    /// Parses `FIELD=VALUE`, `FIELD+=VALUE` or `FIELD-=VALUE` and validates the value.
    ///
    /// - Throws: ``CoreError`` naming the field and what it accepts.
    public init(parsing text: String, in schema: CollectionSchema) throws(CoreError) {
        // Found among the UTF-8 bytes rather than the characters: "=" is ASCII, so its index is also a
        // character boundary, and this runs once per field of a data-entry import.
        guard let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) else {
            throw CoreError(.invalidValue, "'\(text)' is not an edit: write FIELD=VALUE, FIELD+=VALUE or FIELD-=VALUE")
        }
        var name = String(text[..<equals])
        let value = String(text[text.index(after: equals)...])
        var sign: Character? = nil
        if let last = name.last, last == "+" || last == "-" {
            sign = last
            name.removeLast()
        }
        let path = try schema.resolve(name)
        let label = path.description
        switch (path.kind, sign) {
        case (.register, nil):
            action = .assign(value.isEmpty ? "" : try path.type.canonical(value, field: label))
        case (.set, "+"):
            action = .insert(try path.type.canonical(value, field: label))
        case (.set, "-"):
            action = .remove(try path.type.canonical(value, field: label))
        case (.counter, "+"), (.counter, "-"):
            guard let amount = Int64(value), amount > 0, amount <= Edit.maximumIncrement else {
                throw CoreError(.invalidValue, "'\(value)' is not an amount for \(label): a whole number from 1")
            }
            action = .increment(sign == "-" ? -amount : amount)
        case (.log, "+"):
            guard path.field.members.isEmpty else {
                throw CoreError(.wrongKind, "\(label) entries are structured; use 'waypost case consent'")
            }
            guard !value.isEmpty else { throw CoreError(.invalidValue, "an empty \(label) entry says nothing") }
            action = .append(try path.type.canonical(value, field: label))
        case (.register, _):
            throw CoreError(.wrongKind, "\(label) holds one value: write \(label)=VALUE")
        case (.set, _):
            throw CoreError(.wrongKind, "\(label) is a set: write \(label)+=VALUE to add or \(label)-=VALUE to remove")
        case (.counter, _):
            throw CoreError(.wrongKind, "\(label) is a counter: write \(label)+=N or \(label)-=N")
        case (.log, _):
            throw CoreError(.wrongKind, "\(label) is append-only: write \(label)+=TEXT")
        case (.entries, _):
            throw CoreError(.wrongKind, "write one field of an entry: \(label).KEY.FIELD=VALUE")
        }
        self.path = path
    }

    /// The operation this edit becomes, given the values the writer currently sees at its field:
    /// a write overwrites exactly those, a remove takes away exactly the adds of that element.
    ///
    /// - Returns: nil when the edit would change nothing (no edit does, today; kept for edits that may).
    /// - Throws: ``CoreError`` when removing an element that is not in the set.
    public func operation(seeing live: [LiveValue]) throws(CoreError) -> Operation? {
        switch action {
        case .assign(let value):
            return .assign(value: value, supersedes: live.map(\.dot).sorted())
        case .insert(let element):
            // A new add even when the element is present: it survives a concurrent remove elsewhere
            // that had not seen it, as the person asked (add wins).
            return .insert(element: element)
        case .remove(let element):
            let dots = live.filter { $0.value == element }.map(\.dot).sorted()
            guard !dots.isEmpty else {
                throw CoreError(.invalidValue, "'\(element)' is not in \(path); nothing to remove")
            }
            return .remove(element: element, supersedes: dots)
        case .increment(let amount):
            return .increment(by: amount)
        case .append(let entry):
            return .append(entry: entry)
        }
    }
}
