/// Every collection's fields, declared once as data: adding a field is one line in
/// `Schema+Waypost.swift`; the CLI, the validation, the SQL views and the help text follow from it.
public struct Schema: Sendable, Hashable {
    /// The collections, by collection.
    public let collections: [RecordCollection: CollectionSchema]

    /// The schema of one collection.
    public subscript(collection: RecordCollection) -> CollectionSchema {
        collections[collection]!
    }

    /// The canonical text of one structured log entry (a consent record, say) from its parts: a
    /// canonical JSON object whose values are validated against the log's member fields.
    ///
    /// - Throws: ``CoreError`` naming a missing, unknown or invalid part.
    public static func structuredEntry(for field: FieldSpec, parts: [String: String]) throws(CoreError) -> String {
        var object: [String: JSONValue] = [:]
        for (name, value) in parts {
            let member = try field.member(named: name)
            object[name] = .string(try member.type.canonical(value, field: "\(field.name).\(name)"))
        }
        for member in field.members where object[member.name] == nil {
            throw CoreError(.invalidValue, "\(field.name) needs \(member.name) (\(member.type.summary))")
        }
        return JSONValue.object(object).canonical
    }
}
