extension RecordView {
    /// The keys of the entries of `field` (an entries field) this record holds, removed ones included.
    public func entryKeys(of field: String) -> Set<EntryKey> {
        guard case .entries(let map) = fields[field] else { return [] }
        return Set(map.keys)
    }

    /// The live values of each member of one entry, by member name.
    public func entryMembers(of field: String, key: EntryKey) -> [String: [LiveValue]] {
        guard case .entries(let map) = fields[field] else { return [:] }
        return map[key] ?? [:]
    }

    /// Whether an entry is shown: it is not once every member's shown value is cleared (a removed
    /// household member or referral; `Protocol/merge.md` §4).
    static func isShown(_ members: [String: [LiveValue]]) -> Bool {
        members.values.contains { FieldValue.shown($0) != nil }
    }
}
