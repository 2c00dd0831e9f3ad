/// One record as a person sees it: every field's shown value and every conflict.
public struct RecordView: Sendable, Hashable {
    /// The record's collection.
    public let collection: RecordCollection
    /// The record's id.
    public let id: RecordID
    /// Each field that has any live value, by top-level field name.
    public let fields: [String: FieldValue]

    /// Builds a record's view from the live values of each of its field paths.
    ///
    /// Paths the schema does not know are ignored (a newer node's field, say).
    public init(collection: RecordCollection, id: RecordID, live: [String: [LiveValue]], schema: Schema) {
        self.collection = collection
        self.id = id
        var fields: [String: FieldValue] = [:]
        var entries: [String: [EntryKey: [String: [LiveValue]]]] = [:]
        for (pathText, values) in live where !values.isEmpty {
            guard let path = try? schema[collection].resolve(pathText) else { continue }
            if let entry = path.entry, let member = path.member {
                entries[path.field.name, default: [:]][entry, default: [:]][member.name] =
                    values.sorted(by: LiveValue.showsBefore)
            } else {
                fields[path.field.name] = FieldValue.render(path.kind, values)
            }
        }
        for (name, map) in entries { fields[name] = .entries(map) }
        self.fields = fields
    }

    /// Every conflicted register, as (field path, values with the shown one first).
    public var conflicts: [(field: String, values: [LiveValue])] {
        var result: [(String, [LiveValue])] = []
        for (name, value) in fields {
            switch value {
            case .register(let values) where values.count > 1:
                result.append((name, values))
            case .entries(let map):
                for (key, members) in map {
                    for (member, values) in members where values.count > 1 {
                        result.append(("\(name).\(key.text).\(member)", values))
                    }
                }
            default: break
            }
        }
        return result.sorted { $0.0 < $1.0 }
    }
}
