/// The fields of one collection.
public struct CollectionSchema: Sendable, Hashable {
    /// Which collection this describes.
    public let collection: RecordCollection
    /// Its fields, in display order.
    public let fields: [FieldSpec]
    /// Values written to a new record when the person creating it does not give them.
    public let defaults: [String: String]

    /// The field named `name`, or an error naming the known fields.
    public func field(named name: String) throws(CoreError) -> FieldSpec {
        guard let field = fields.first(where: { $0.name == name }) else {
            throw CoreError(
                .unknownField,
                "'\(name)' is not a \(collection.name) field; known fields: "
                    + fields.map(\.name).joined(separator: ", "))
        }
        return field
    }

    /// Resolves a field path as written on the command line: `given_name`, or
    /// `household.KEY.relationship` for a field of one entry.
    public func resolve(_ path: String) throws(CoreError) -> FieldPath {
        // Most paths name a top-level field: no splitting, no allocation.
        if !path.utf8.contains(UInt8(ascii: ".")) {
            let top = try field(named: path)
            guard top.kind != .entries else {
                throw CoreError(
                    .unknownField,
                    "'\(path)' names no entry field: write \(top.name).KEY.FIELD, with FIELD one of "
                        + top.members.map(\.name).joined(separator: ", "))
            }
            return FieldPath(field: top, entry: nil, member: nil)
        }
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let top = try field(named: parts[0])
        switch (top.kind, parts.count) {
        case (.entries, 3):
            let key = try EntryKey(parsing: parts[1])
            let member = try top.member(named: parts[2])
            return FieldPath(field: top, entry: key, member: member)
        case (.entries, _):
            throw CoreError(
                .unknownField,
                "'\(path)' names no entry field: write \(top.name).KEY.FIELD, with FIELD one of "
                    + top.members.map(\.name).joined(separator: ", "))
        case (_, 1):
            return FieldPath(field: top, entry: nil, member: nil)
        default:
            throw CoreError(.unknownField, "'\(path)': \(top.name) has no sub-fields")
        }
    }
}
