import ArgumentParser
import WaypostNode

/// The `--home` option every command that touches a node takes.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's directory.", discussion: "Default: $WAYPOST_HOME, else ~/.waypost."),
            completion: .directory)
    var home: String?

    /// The home directory these options name.
    var nodeHome: NodeHome { NodeHome(explicit: home) }

    /// Opens the node, or fails with one line.
    func openNode() throws -> Node {
        try Failure.report { () throws(NodeError) in try Node.open(home: nodeHome) }
    }
}

/// The `--json` flag of every command that reads.
struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON document on stdout (for jq) instead of text.")
    var json = false
}
