extension EntryKey {
    /// What a key typed by a person names among a record's existing entries.
    public enum Match: Sendable, Hashable {
        /// Exactly one existing entry's key starts with what was typed (or is it).
        case entry(EntryKey)
        /// No existing entry's key starts with it.
        case none
        /// Several do: these, in key order.
        case ambiguous([EntryKey])
    }

    /// The existing entry this key names when read as a prefix, as record ids are: an edit of an entry
    /// field names an entry that exists, and a typing mistake is refused rather than made into a new
    /// entry (a new entry is made only by the write that adds it, `waypost case entry`).
    ///
    /// - Parameter existing: the keys of the field's entries in the record.
    public func match(among existing: some Sequence<EntryKey>) -> Match {
        var found: [EntryKey] = []
        for key in existing {
            if key == self { return .entry(key) }
            if key.text.hasPrefix(text) { found.append(key) }
        }
        switch found.count {
        case 0: return .none
        case 1: return .entry(found[0])
        default: return .ambiguous(found.sorted())
        }
    }
}

extension FieldPath {
    /// The same member of another entry of the same field.
    public func inEntry(_ key: EntryKey) -> FieldPath {
        FieldPath(field: field, entry: key, member: member)
    }

    /// The path of the entry itself, `household.KEY`, for messages.
    public var entryDescription: String? { entry.map { "\(field.name).\($0.text)" } }
}
