import ArgumentParser

/// The `waypost` command: a peer-to-peer, offline-first sync node for case files and service
/// directories.
@main
struct Waypost: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "waypost",
        abstract: "Keep case files and service directories in sync between sites that are rarely connected.",
        discussion: """
            Every node keeps a full replica in SQLite. Changes merge with CRDT rules: edits made while \
            apart converge when the nodes meet, and concurrent edits of one field are kept as a conflict \
            until someone resolves it. Nodes exchange bundles of changes as files (on a USB stick, say).

            The node's home is --home DIR, else $WAYPOST_HOME, else ~/.waypost.
            Exit codes: 0 success, 1 failure, 2 usage, 3 not found, 4 invalid input, 5 bundle refused, 6 disk full.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, ID.self, CaseCommand.self, ServiceCommand.self, Conflicts.self, Resolve.self,
            PeerCommand.self, BundleCommand.self, Status.self, Log.self,
        ]
    )
}
