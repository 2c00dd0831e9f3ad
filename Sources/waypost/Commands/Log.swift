import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost log [ID] [--json]`.
struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the history of changes: who (node), when, what.",
        discussion: "With an id, the history of that case or service; without, the latest changes of the replica.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "A case or service id (its first characters are enough).") var id: String?
    @Option(help: "How many changes at most.") var limit = 200
    @OptionGroup var access: ReasonOption

    func run() throws {
        let opened = try node.openUnlockedNode()
        let (changes, peers) = try Failure.report {
            var key: FieldAddress.RecordKey? = nil
            if let id {
                let collection: RecordCollection
                let record: RecordID
                if let found = try? opened.replica.findRecord(.caseFile, prefix: id) {
                    (collection, record) = (.caseFile, found)
                } else {
                    (collection, record) = (.service, try opened.replica.findRecord(.service, prefix: id))
                }
                key = FieldAddress.RecordKey(collection: collection, record: record)
            }
            return (try opened.replica.history(of: key, limit: limit), try opened.replica.peers())
        }
        var records: [String] = []
        for change in changes where !records.contains(change.record.text) { records.append(change.record.text) }
        try AccessLog.record(opened, command: "log", records: records, scope: "\(changes.count) changes", reason: access.reason)
        if output.json {
            Output.json(
                .array(
                    changes.map { change in
                        .object([
                            "origin": .string(change.dot.origin.description), "sequence": .integer(change.dot.sequence),
                            "at": .string(change.timestamp.description), "collection": .string(change.collection.name),
                            "record": .string(change.record.text), "field": .string(change.field),
                            "operation": .string(change.operation.verb), "value": .string(change.operation.argument),
                            "supersedes": .array(change.operation.supersedes.map { .string("\($0.origin):\($0.sequence)") }),
                        ])
                    }))
            return
        }
        if changes.isEmpty { print("no changes") }
        for change in changes {
            let who = Output.label(change.dot.origin, local: opened.id, peers: peers)
            print("\(change.timestamp)  \(Output.pad(who, 12)) \(change.collection) \(change.record.text)  \(change.field) \(change.operation.verb) \(change.operation.argument)")
        }
    }
}
