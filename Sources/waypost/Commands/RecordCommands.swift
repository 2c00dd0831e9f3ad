import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore

/// Which collection a generic record command works on.
protocol CollectionMarker {
    static var collection: RecordCollection { get }
}

/// Case files.
enum CaseMarker: CollectionMarker {
    static let collection = RecordCollection.caseFile
}

/// Service directory entries.
enum ServiceMarker: CollectionMarker {
    static let collection = RecordCollection.service
}

/// The help text listing a collection's fields, from the schema.
func fieldHelp(_ collection: RecordCollection) -> String {
    let lines = Schema.waypost[collection].fields.map { field in
        var line = "  " + Output.pad(field.name, 18) + Output.pad(field.kind.rawValue, 10) + field.summary
        if !field.members.isEmpty { line += " (" + field.members.map(\.name).joined(separator: ", ") + ")" }
        return line
    }
    return "Fields:\n" + lines.joined(separator: "\n")
}

/// `waypost case|service add FIELD=VALUE...`.
struct RecordAdd<Marker: CollectionMarker>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "add", abstract: "Create a \(Marker.collection) and print its id.",
            discussion: "Registers take FIELD=VALUE; sets FIELD+=VALUE.\n\n" + fieldHelp(Marker.collection))
    }

    @OptionGroup var node: NodeOptions

    @Argument(help: "FIELD=VALUE (registers) or FIELD+=VALUE (sets, logs).")
    var edits: [String] = []

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        let id = try Failure.report {
            let schema = opened.replica.schema[Marker.collection]
            let parsed = try edits.map { text throws(CoreError) in try Edit(parsing: text, in: schema) }
            return try opened.replica.create(Marker.collection, edits: parsed, signer: keys).id
        }
        print(id)
    }
}

/// `waypost case|service set ID FIELD=VALUE...`.
struct RecordSet<Marker: CollectionMarker>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "set", abstract: "Change fields of a \(Marker.collection).",
            discussion: """
                Registers take FIELD=VALUE (an empty VALUE clears); sets take FIELD+=VALUE and FIELD-=VALUE; \
                counters FIELD+=N and FIELD-=N; entry fields ENTRIES.KEY.FIELD=VALUE. All edits are applied \
                together or not at all.

                """ + fieldHelp(Marker.collection))
    }

    @OptionGroup var node: NodeOptions

    @Argument(help: "The record's id (its first characters are enough).")
    var id: String

    @Argument(help: "The edits.")
    var edits: [String]

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        let changes = try Failure.report {
            let record = try opened.replica.findRecord(Marker.collection, prefix: id)
            let schema = opened.replica.schema[Marker.collection]
            let parsed = try edits.map { text throws(CoreError) in try Edit(parsing: text, in: schema) }
            return try opened.replica.update(Marker.collection, record, edits: parsed, signer: keys)
        }
        print(changes.isEmpty ? "nothing to change" : "\(changes.count) change\(changes.count == 1 ? "" : "s") recorded")
    }
}

/// `waypost case|service show ID [--json]`.
struct RecordShow<Marker: CollectionMarker>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "show", abstract: "Show a \(Marker.collection)'s current values; conflicted fields show every value.")
    }

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption
    @OptionGroup var access: ReasonOption

    @Argument(help: "The record's id (its first characters are enough).")
    var id: String

    func run() throws {
        let opened = try node.openUnlockedNode()
        let (view, peers) = try Failure.report {
            let record = try opened.replica.findRecord(Marker.collection, prefix: id)
            guard let view = try opened.replica.view(Marker.collection, record) else {
                throw StoreError(.notFound, "no \(Marker.collection) \(id)")
            }
            return (view, try opened.replica.peers())
        }
        try AccessLog.record(opened, command: "\(Marker.collection) show", records: [view.id.text], reason: access.reason)
        if output.json {
            Output.json(view.json(schema: opened.replica.schema))
        } else {
            RecordText.print(view, schema: opened.replica.schema, local: opened.id, peers: peers)
        }
    }
}

/// `waypost case|service list [--json]`.
struct RecordList<Marker: CollectionMarker>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "list", abstract: "List every \(Marker.collection) in the replica.")
    }

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption
    @OptionGroup var access: ReasonOption

    func run() throws {
        let opened = try node.openUnlockedNode()
        let views = try Failure.report { try opened.replica.views(Marker.collection) }
        try AccessLog.record(
            opened, command: "\(Marker.collection) list", scope: "all \(views.count) \(Marker.collection) records", reason: access.reason)
        let schema = opened.replica.schema
        if output.json {
            Output.json(.array(views.map { $0.json(schema: schema) }))
            return
        }
        if views.isEmpty {
            print("no \(Marker.collection) records yet")
            return
        }
        let columns = Marker.collection == .caseFile
            ? ["status", "given_name", "family_name", "risk_level", "owner"]
            : ["status", "name", "organization", "category"]
        print(Output.pad("id", 21) + columns.map { Output.pad($0, 16) }.joined() + "conflicts")
        for view in views {
            guard case .object(let root) = view.json(schema: schema), case .object(let fields)? = root["fields"] else { continue }
            let cells = columns.map { name -> String in
                switch fields[name] {
                case .string(let text)?: return Output.pad(String(text.prefix(15)), 16)
                case .array(let items)?: return Output.pad(items.compactMap { if case .string(let s) = $0 { s } else { nil } }.joined(separator: ","), 16)
                default: return Output.pad("-", 16)
                }
            }
            print(Output.pad(view.id.text, 21) + cells.joined() + String(view.conflicts.count))
        }
    }
}

/// Prints a record for people.
enum RecordText {
    static func print(_ view: RecordView, schema: Schema, local: NodeID, peers: [PeerRecord]) {
        func who(_ value: LiveValue) -> String {
            "\(Output.label(value.dot.origin, local: local, peers: peers)) at \(value.timestamp)"
        }
        Swift.print("\(view.collection) \(view.id)")
        for spec in schema[view.collection].fields {
            guard let value = view.fields[spec.name] else { continue }
            let name = "  " + Output.pad(spec.name, 18)
            switch value {
            case .register(let values):
                Swift.print(name + (FieldValue.shown(values) ?? "(cleared)")
                    + (values.count > 1 ? "   [CONFLICT: \(values.count) values]" : ""))
                if values.count > 1 {
                    for value in values { Swift.print("      - \(value.value.isEmpty ? "(cleared)" : value.value)   (\(who(value)))") }
                }
            case .set(let elements):
                Swift.print(name + elements.joined(separator: ", "))
            case .counter(let total):
                Swift.print(name + String(total))
            case .log(let entries):
                Swift.print(name + "\(entries.count) entr\(entries.count == 1 ? "y" : "ies")")
                for entry in entries { Swift.print("      \(entry.timestamp)  \(Output.label(entry.dot.origin, local: local, peers: peers)): \(entry.value)") }
            case .entries(let map):
                Swift.print(name + "\(map.count) entr\(map.count == 1 ? "y" : "ies")")
                for key in map.keys.sorted() {
                    let members = map[key]!
                    let parts = spec.members.compactMap { member -> String? in
                        guard let values = members[member.name], let shown = FieldValue.shown(values) else { return nil }
                        return "\(member.name)=\(shown)" + (values.count > 1 ? " [CONFLICT]" : "")
                    }
                    Swift.print("      \(key): " + parts.joined(separator: ", "))
                }
            }
        }
    }
}
