import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost retention run [--json]`.
struct RetentionRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Erase now the cases the retention policy says are due, and list them.",
        discussion: """
            Erases every case whose status has been 'closed', without conflict, for longer than the policy \
            says, each with a signed erase directive that travels like 'case erase' does. Prints the ids \
            erased, or says that none are due; exits 0 either way. 'waypost serve' does the same at start \
            and then every 24 hours.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        let policy = try Failure.report { try opened.replica.retentionPolicy() }
        let erased = try Failure.report { () throws(NodeError) in try opened.applyRetention(keys: keys) }
        if output.json {
            Output.json(
                .object([
                    "closed_for_days": policy.map { .integer($0.closedForDays) } ?? .null,
                    "erased": .array(erased.map { .string($0.text) }),
                ]))
            return
        }
        guard let policy else {
            print("no retention policy: nothing erased (set one with 'waypost retention set case --closed-for DAYS')")
            return
        }
        guard !erased.isEmpty else {
            print("no case is due: none has been closed for more than \(policy.closedForDays) days")
            return
        }
        for record in erased { print(record) }
        print(
            "erased \(erased.count) case\(erased.count == 1 ? "" : "s") \(policy); the erase directives go out with every "
                + "bundle and sync from now on")
    }
}
