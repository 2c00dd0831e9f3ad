import ArgumentParser
import WaypostNode

/// `waypost init --name NAME`.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create this node: a new identity and an empty replica.",
        discussion: "Refuses if the home directory already holds a node; nothing is overwritten.")

    @OptionGroup var node: NodeOptions

    @Option(help: "A name for this node, shown to people (e.g. border-post-north).")
    var name: String

    func run() throws {
        let created = try Failure.report {
            do {
                return try Node.initialize(home: node.nodeHome, name: name)
            } catch let error as NodeError where error.code == .identity {
                // The only identity error `initialize` throws is a bad --name: invalid input, exit code 4.
                throw Failure.fail(error.message, code: 4)
            }
        }
        print("created node \(name) in \(node.nodeHome.path)")
        print("node id: \(created.id)")
    }
}

/// `waypost id`.
struct ID: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print this node's id, for other nodes to add as a peer.")

    @OptionGroup var node: NodeOptions

    func run() throws {
        print(try node.openNode().id)
    }
}
