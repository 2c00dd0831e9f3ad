/// The canonical export of a replica's state: one JSON document whose bytes depend only on the set of
/// changes the replica has applied, whatever their order or number of deliveries.
///
/// Shape: `{"records": {"case/ID": {"FIELD": [[ORIGIN, SEQUENCE, TIMESTAMP, VALUE], ...]}}, "versions": {ORIGIN: SEQUENCE}}`,
/// live values sorted by dot, keys sorted.
public enum CanonicalState {
    /// Builds the export from a version vector and every live value with its address.
    public static func export(versions: VersionVector, live: some Sequence<(FieldAddress, LiveValue)>) -> String {
        var names: [NodeID: String] = [:]  // each origin's human form, computed once
        func name(_ node: NodeID) -> String {
            if let known = names[node] { return known }
            let text = node.description
            names[node] = text
            return text
        }
        var records: [String: [String: [LiveValue]]] = [:]
        for (address, value) in live {
            records["\(address.collection.name)/\(address.record.text)", default: [:]][address.field, default: []]
                .append(value)
        }
        var recordsJSON: [String: JSONValue] = [:]
        for (key, fields) in records {
            var fieldsJSON: [String: JSONValue] = [:]
            for (field, values) in fields {
                fieldsJSON[field] = .array(
                    values.sorted { $0.dot < $1.dot }.map {
                        .array([
                            .string(name($0.dot.origin)), .integer($0.dot.sequence),
                            .integer($0.timestamp.rawValue), .string($0.value),
                        ])
                    })
            }
            recordsJSON[key] = .object(fieldsJSON)
        }
        var versionsJSON: [String: JSONValue] = [:]
        for (origin, sequence) in versions.entries { versionsJSON[name(origin)] = .integer(sequence) }
        return JSONValue.object(["records": .object(recordsJSON), "versions": .object(versionsJSON)]).canonical
    }
}
