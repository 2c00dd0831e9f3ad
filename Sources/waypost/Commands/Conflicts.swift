import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost conflicts [--json]`.
struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every conflicted field: each concurrent value with its origin node and time.",
        discussion: "Resolve one with 'waypost resolve COLLECTION ID FIELD VALUE'.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption
    @OptionGroup var access: ReasonOption

    func run() throws {
        let opened = try node.openUnlockedNode()
        let (conflicts, peers) = try Failure.report { (try opened.replica.conflicts(), try opened.replica.peers()) }
        var records: [String] = []
        for conflict in conflicts where records.last != conflict.record.text { records.append(conflict.record.text) }
        try AccessLog.record(opened, command: "conflicts", records: records, scope: records.isEmpty ? "no conflicts" : nil, reason: access.reason)
        if output.json {
            Output.json(
                .array(
                    conflicts.map { conflict in
                        .object([
                            "collection": .string(conflict.collection.name), "record": .string(conflict.record.text),
                            "field": .string(conflict.field), "values": .array(conflict.values.map(RecordView.versionJSON)),
                        ])
                    }))
            return
        }
        if conflicts.isEmpty {
            print("no conflicts")
            return
        }
        for conflict in conflicts {
            print("\(conflict.collection) \(conflict.record) \(conflict.field): \(conflict.values.count) concurrent values")
            for (index, value) in conflict.values.enumerated() {
                let who = Output.label(value.dot.origin, local: opened.id, peers: peers)
                print("  \(index == 0 ? "*" : "-") \(value.value.isEmpty ? "(cleared)" : value.value)   (\(who) at \(value.timestamp))")
            }
        }
        print("(* is the value shown until the conflict is resolved)")
    }
}

/// `waypost resolve COLLECTION ID FIELD VALUE`.
struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a value that supersedes all the concurrent values of a field.",
        discussion: """
            The new value overwrites every value this node sees for the field, so once the other nodes \
            receive it the conflict is gone everywhere. A value written elsewhere after this node last \
            synced is still kept, as a new conflict.
            """)

    @OptionGroup var node: NodeOptions
    @Argument(help: "case or service.") var collection: String
    @Argument(help: "The record's id (its first characters are enough).") var id: String
    @Argument(help: "The field path, e.g. given_name or household.KEY.given_name.") var field: String
    @Argument(help: "The value to keep.") var value: String

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        let superseded = try Failure.report {
            let collection = try RecordCollection(named: collection)
            let record = try opened.replica.findRecord(collection, prefix: id)
            let edit = try Edit(parsing: "\(field)=\(value)", in: opened.replica.schema[collection])
            guard case .assign = edit.action else {
                throw CoreError(.wrongKind, "only fields that hold one value can be in conflict; \(field) is a \(edit.path.kind.rawValue)")
            }
            let changes = try opened.replica.update(collection, record, edits: [edit], signer: keys)
            return changes.first?.operation.supersedes.count ?? 0
        }
        print("resolved: \(field) = \(value) (supersedes \(superseded) value\(superseded == 1 ? "" : "s"))")
    }
}
