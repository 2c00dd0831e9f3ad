import ArgumentParser
import Foundation
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost audit verify|access`.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the replica's signed history, and list who looked at personal data.",
        subcommands: [AuditVerify.self, AuditAccess.self])
}

/// `waypost audit verify [--json]`.
struct AuditVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-check every origin's signed history in the replica and report any break.",
        discussion: """
            Recomputes each origin's hash chain from its first change, opens every value, and checks every \
            signature and the stored head (Protocol/trust.md §2). A change altered, removed or inserted in the \
            database file is reported with its origin and sequence number. Exit code 0 if every chain is \
            intact, 5 if any is broken.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let opened = try node.openUnlockedNode()
        let audit = try Failure.report { try opened.replica.auditChains() }
        if output.json {
            Output.json(
                .object([
                    "intact": .bool(audit.isIntact),
                    "origins": .array(
                        audit.origins.map { origin in
                            .object([
                                "origin": .string(origin.node.description), "changes": .integer(origin.changes),
                                "signatures": .integer(origin.signatures),
                                "problem": origin.problem.map { .object(["sequence": .integer($0.sequence), "reason": .string($0.reason)]) }
                                    ?? .null,
                            ])
                        }),
                ]))
        } else {
            let peers = (try? opened.replica.peers()) ?? []
            for origin in audit.origins {
                let who = Output.label(origin.node, local: opened.id, peers: peers)
                if let problem = origin.problem {
                    print("BROKEN  \(origin.node.short) (\(who)): change \(problem.sequence): \(problem.reason)")
                } else {
                    print("ok      \(origin.node.short) (\(who)): \(origin.changes) changes, \(origin.signatures) signatures verified")
                }
            }
            print(audit.isIntact ? "every chain is intact" : "the replica's history was altered: restore it from a backup or resync from a peer")
        }
        if !audit.isIntact { throw ExitCode(5) }
    }
}

/// `waypost audit access [--json] [--limit N]`.
struct AuditAccess: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access",
        abstract: "List who looked at personal data on this node: user, time, command, records, reason.",
        discussion: """
            Every command that shows personal data (case and service show and list, conflicts, log, sql, \
            bundle export) appends an entry before it shows anything. The log is append-only and holds record \
            ids, never field values.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption
    @Option(help: "How many of the latest entries at most.") var limit = 1000

    func run() throws {
        let opened = try node.openNode()
        let entries = try Failure.report { try opened.replica.accessLog(limit: limit) }
        if output.json {
            Output.json(
                .array(
                    entries.map { entry in
                        .object([
                            "number": .integer(entry.number), "at": .string(Output.time(entry.at)), "user": .string(entry.user),
                            "node": .string(entry.node.description), "command": .string(entry.command),
                            "records": .array(entry.records.map(JSONValue.string)), "scope": entry.scope.map(JSONValue.string) ?? .null,
                            "reason": entry.reason.map(JSONValue.string) ?? .null,
                        ])
                    }))
            return
        }
        if entries.isEmpty { print("no access recorded") }
        for entry in entries {
            let what = entry.records.isEmpty ? (entry.scope ?? "") : entry.records.joined(separator: " ") + (entry.scope.map { " (\($0))" } ?? "")
            print("\(Output.time(entry.at))  \(entry.user)  \(entry.command)  \(what)" + (entry.reason.map { "  reason: \($0)" } ?? ""))
        }
    }
}
