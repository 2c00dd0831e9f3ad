import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore
import WaypostTrust

/// `waypost retention show [--json]`.
struct RetentionShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show this node's retention policy, and the cases it has erased.",
        discussion: """
            Needs no passphrase: the policy holds no personal data. Lists every case this node erased under a \
            retention policy (by 'retention run' or by 'serve', whose log gives only counts), with when.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let opened = try node.openNode()
        let policy = try Failure.report { try opened.replica.retentionPolicy() }
        let erased = try Failure.report { try opened.replica.directives() }.compactMap { directive -> (RecordID, UInt64)? in
            guard case .erase(_, let record) = directive.kind, directive.issuer == opened.id,
                directive.reason.hasPrefix(RetentionPolicy.reasonPrefix)
            else { return nil }
            return (record, directive.issuedAt)
        }
        if output.json {
            Output.json(
                .object([
                    "case": policy.map { .object(["closed_for_days": .integer($0.closedForDays)]) } ?? .null,
                    "erased": .array(erased.map { .object(["id": .string($0.0.text), "at": .string(Output.time($0.1))]) }),
                ]))
            return
        }
        if let policy {
            print("case: erased when \(policy)")
        } else {
            print(
                "no retention policy: no case is erased for its age (set one with 'waypost retention set case --closed-for DAYS')"
            )
        }
        for (record, at) in erased { print("erased by retention at \(Output.time(at)): case \(record)") }
    }
}
