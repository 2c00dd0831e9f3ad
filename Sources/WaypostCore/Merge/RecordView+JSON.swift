extension RecordView {
    /// The record as JSON for `case show --json`: `id`, `collection`, `fields` (shown values, typed:
    /// strings, numbers, booleans, arrays for sets, objects for entries, null for a cleared register)
    /// and `conflicts` (for each conflicted field path, every concurrent value with its origin node and
    /// time, the shown one first).
    ///
    /// Only replicated state appears (node ids, never local peer names), so two nodes that hold the
    /// same changes print the same bytes.
    public func json(schema: Schema, includePrivate: Bool = true) -> JSONValue {
        let collectionSchema = schema[collection]
        let fieldsJSON = fieldsJSON(schema: schema, includePrivate: includePrivate)
        var conflictsJSON: [String: JSONValue] = [:]
        for (field, values) in conflicts {
            if !includePrivate, let spec = try? collectionSchema.resolve(field), !spec.field.isPublic { continue }
            conflictsJSON[field] = .array(values.map(RecordView.versionJSON))
        }
        return .object([
            "collection": .string(collection.name),
            "id": .string(id.text),
            "fields": .object(fieldsJSON),
            "conflicts": .object(conflictsJSON),
        ])
    }

    /// The `fields` member of ``json(schema:includePrivate:)`` alone: each field's shown value, typed.
    /// What the `shown` table stores, without rendering the conflicts.
    public func fieldsJSON(schema: Schema, includePrivate: Bool = true) -> [String: JSONValue] {
        let collectionSchema = schema[collection]
        var fieldsJSON: [String: JSONValue] = [:]
        for (name, value) in fields {
            guard let spec = try? collectionSchema.field(named: name) else { continue }
            if !includePrivate && !spec.isPublic { continue }
            switch value {
            case .register(let values):
                fieldsJSON[name] = RecordView.typed(FieldValue.shown(values), spec.type)
            case .set(let elements):
                fieldsJSON[name] = .array(elements.map { RecordView.typed($0, spec.type) })
            case .counter(let total):
                fieldsJSON[name] = .integer(total)
            case .log(let entries):
                fieldsJSON[name] = .array(entries.map { RecordView.logEntry($0, spec: spec) })
            case .entries(let map):
                var entriesJSON: [String: JSONValue] = [:]
                for (key, members) in map where RecordView.isShown(members) {
                    var memberJSON: [String: JSONValue] = [:]
                    for (member, values) in members {
                        let type = (try? spec.member(named: member))?.type ?? .text
                        memberJSON[member] = RecordView.typed(FieldValue.shown(values), type)
                    }
                    entriesJSON[key.text] = .object(memberJSON)
                }
                // A field whose every entry was removed shows as one that never had any.
                if !entriesJSON.isEmpty { fieldsJSON[name] = .object(entriesJSON) }
            }
        }
        return fieldsJSON
    }

    /// One concurrent value: `value`, `origin` (node id), `sequence`, `at` (ISO 8601).
    public static func versionJSON(_ value: LiveValue) -> JSONValue {
        .object([
            "value": value.value.isEmpty ? .null : .string(value.value),
            "origin": .string(value.dot.origin.description),
            "sequence": .integer(value.dot.sequence),
            "at": .string(value.timestamp.description),
        ])
    }

    static func logEntry(_ entry: LiveValue, spec: FieldSpec) -> JSONValue {
        var object: [String: JSONValue] = [
            "at": .string(entry.timestamp.description),
            "origin": .string(entry.dot.origin.description),
        ]
        if spec.members.isEmpty {
            object["text"] = .string(entry.value)
        } else {
            for (name, value) in StructuredEntry.parts(of: entry.value) {
                let type = (try? spec.member(named: name))?.type ?? .text
                object[name] = typed(value, type)
            }
        }
        return .object(object)
    }

    /// A canonical value as JSON of its type: booleans and numbers unquoted, nil as null.
    public static func typed(_ value: String?, _ type: ValueType) -> JSONValue {
        guard let value else { return .null }
        switch type {
        case .boolean: return .bool(value == "true")
        case .integer, .decimal: return .number(value)
        default: return .string(value)
        }
    }
}

/// Reads the canonical JSON object that a structured log entry is stored as (see
/// ``Schema/structuredEntry(for:parts:)``): a flat object of string values.
enum StructuredEntry {
    static func parts(of text: String) -> [(String, String)] {
        var result: [(String, String)] = []
        var scalars = Array(text.unicodeScalars)[...]
        func readString() -> String? {
            guard scalars.first == "\"" else { return nil }
            scalars = scalars.dropFirst()
            var output = String.UnicodeScalarView()
            while let scalar = scalars.first {
                scalars = scalars.dropFirst()
                switch scalar {
                case "\"": return String(output)
                case "\\":
                    guard let escaped = scalars.first else { return nil }
                    scalars = scalars.dropFirst()
                    switch escaped {
                    case "n": output.append("\n")
                    case "r": output.append("\r")
                    case "t": output.append("\t")
                    case "u":
                        guard scalars.count >= 4, let code = UInt32(String(String.UnicodeScalarView(scalars.prefix(4))), radix: 16),
                            let decoded = Unicode.Scalar(code)
                        else { return nil }
                        scalars = scalars.dropFirst(4)
                        output.append(decoded)
                    default: output.append(escaped)
                    }
                default: output.append(scalar)
                }
            }
            return nil
        }
        guard scalars.first == "{" else { return [] }
        scalars = scalars.dropFirst()
        while let key = readString() {
            guard scalars.first == ":" else { break }
            scalars = scalars.dropFirst()
            guard let value = readString() else { break }
            result.append((key, value))
            if scalars.first == "," { scalars = scalars.dropFirst() } else { break }
        }
        return result
    }
}
