import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost retention show [--json]`.
struct RetentionShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show this node's retention policy.",
        discussion: "Needs no passphrase: the policy holds no personal data.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let opened = try node.openNode()
        let policy = try Failure.report { try opened.replica.retentionPolicy() }
        if output.json {
            Output.json(
                .object([
                    "case": policy.map { .object(["closed_for_days": .integer($0.closedForDays)]) } ?? .null
                ]))
            return
        }
        guard let policy else {
            print(
                "no retention policy: no case is erased for its age (set one with 'waypost retention set case --closed-for DAYS')"
            )
            return
        }
        print("case: erased when \(policy)")
    }
}
