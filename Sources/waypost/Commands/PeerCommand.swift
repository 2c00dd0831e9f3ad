import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost peer add|list|remove`.
struct PeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer", abstract: "Manage the nodes this one exchanges changes with.",
        subcommands: [PeerAdd.self, PeerList.self, PeerRemove.self])
}

/// `waypost peer add NAME NODE-ID`.
struct PeerAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a peer by the node id it prints with 'waypost id'.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "A local name for the peer (letters, digits, - _ .).") var name: String
    @Argument(help: "The peer's node id (56 characters; dashes optional).") var nodeID: String

    func run() throws {
        let opened = try node.openNode()
        try Failure.report {
            try opened.replica.addPeer(named: name, node: try NodeID(parsing: nodeID))
        }
        print("added peer \(name)")
    }
}

/// `waypost peer list [--json]`.
struct PeerList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the peers.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let opened = try node.openNode()
        let peers = try Failure.report { try opened.replica.peers() }
        if output.json {
            Output.json(.array(peers.map(PeerJSON.make)))
            return
        }
        if peers.isEmpty {
            print("no peers; add one with 'waypost peer add NAME NODE-ID'")
            return
        }
        for peer in peers {
            print("\(Output.pad(peer.name, 20)) \(peer.node)")
            print("  last import: \(Output.time(peer.lastImportAt))   last export: \(Output.time(peer.lastExportAt))")
        }
    }
}

/// `waypost peer remove NAME`.
struct PeerRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a peer (the changes it sent stay in the replica).")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The peer's name.") var name: String

    func run() throws {
        let opened = try node.openNode()
        try Failure.report { try opened.replica.removePeer(named: name) }
        print("removed peer \(name)")
    }
}

/// A peer as JSON.
enum PeerJSON {
    static func make(_ peer: PeerRecord) -> JSONValue {
        .object([
            "name": .string(peer.name), "node": .string(peer.node.description),
            "added_at": .string(Output.time(peer.addedAt)),
            "last_import_at": peer.lastImportAt.map { .string(Output.time($0)) } ?? .null,
            "last_export_at": peer.lastExportAt.map { .string(Output.time($0)) } ?? .null,
            "seen": .object(Dictionary(uniqueKeysWithValues: peer.seen.entries.map { ($0.key.description, JSONValue.integer($0.value)) })),
        ])
    }
}
