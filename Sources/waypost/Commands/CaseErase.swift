import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost case erase ID --reason TEXT`.
struct CaseErase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase", abstract: "Erase a case's values on every node (an admin's signed erase directive).",
        discussion: """
            Signs an erase directive with this node's key and stores it; it travels in every bundle and sync \
            session, and every node that takes this node for an admin erases the case's values too. Nodes \
            refuse erasures from nodes that are not admins to them.
            """)

    @OptionGroup var node: NodeOptions
    @Argument(help: "The case's id (its first characters are enough).") var id: String
    @Option(help: "Why, e.g. the data-protection request it answers (1 to 256 bytes of text).") var reason: String

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        let record = try Failure.report { try opened.replica.findRecord(.caseFile, prefix: id) }
        _ = try Failure.report { () throws(NodeError) in try opened.erase(.caseFile, record, reason: reason, keys: keys) }
        print("erased case \(record); the erase directive goes out with every bundle and sync from now on")
    }
}
