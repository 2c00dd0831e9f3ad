/// What one change does to one field. The operation's kind must match the field's merge kind.
public enum Operation: Sendable, Hashable {
    /// Writes a register's value, overwriting exactly the values the writer had seen (`supersedes`).
    case assign(value: String, supersedes: [Dot])
    /// Adds an element to a set.
    case insert(element: String)
    /// Removes an element from a set: only the adds the writer had seen (`supersedes`), so an add made
    /// concurrently elsewhere survives (add wins).
    case remove(element: String, supersedes: [Dot])
    /// Adds to a counter (negative to subtract).
    case increment(by: Int64)
    /// Appends an entry to a log.
    case append(entry: String)

    /// The field kind this operation applies to (`assign` also applies to the fields of entries).
    public var fieldKind: FieldKind {
        switch self {
        case .assign: .register
        case .insert, .remove: .set
        case .increment: .counter
        case .append: .log
        }
    }

    /// The dots this operation overwrites or removes.
    public var supersedes: [Dot] {
        switch self {
        case .assign(_, let dots), .remove(_, let dots): dots
        case .insert, .increment, .append: []
        }
    }

    /// A one-word name for history listings: assign, insert, remove, increment or append.
    public var verb: String {
        switch self {
        case .assign: "assign"
        case .insert: "insert"
        case .remove: "remove"
        case .increment: "increment"
        case .append: "append"
        }
    }

    /// The value written, the element added or removed, the amount, or the entry: as text.
    public var argument: String {
        switch self {
        case .assign(let value, _): value
        case .insert(let element), .remove(let element, _): element
        case .increment(let amount): String(amount)
        case .append(let entry): entry
        }
    }
}
