import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore
import WaypostTrust
import WaypostSync

/// `waypost peer add|address|list|remove|seal`.
struct PeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer", abstract: "Manage the nodes this one exchanges changes with.",
        discussion: """
            Changing whom this node trusts or dials (add, address, remove, and 'network join') needs the \
            node's passphrase: the peers are authenticated under its key, so a peer written into the files \
            by other means is refused the next time the node opens with its passphrase.
            """,
        subcommands: [PeerAdd.self, PeerAddressCommand.self, PeerList.self, PeerRemove.self, PeerSeal.self])
}

/// `waypost peer add NAME NODE-ID`.
struct PeerAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a peer by the node id it prints with 'waypost id'.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "A local name for the peer (letters, digits, - _ .).") var name: String
    @Argument(help: "The peer's node id (56 characters; dashes optional).") var nodeID: String
    @Flag(help: "Trust the peer as an admin (its revocations and erasures are accepted).") var admin = false
    @Option(help: "Where the peer listens, HOST:PORT; 'waypost serve' dials it there.") var address: String?

    func run() throws {
        let parsed = try address.map { text in try Failure.report { () throws(SyncError) in try WaypostSync.PeerAddress(parsing: text) } }
        let opened = try node.openUnlockedNode()
        try Failure.report {
            try opened.replica.addPeer(
                named: name, node: try NodeID(parsing: nodeID), role: admin ? .admin : .field, address: parsed?.description)
        }
        print("added peer \(name)\(admin ? " (admin)" : "")\(parsed.map { " at \($0)" } ?? ""); its changes are trusted from now on")
    }
}

/// `waypost peer address NAME HOST:PORT|--clear`.
struct PeerAddressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "address", abstract: "Set or clear where a peer listens; 'waypost serve' dials it there.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The peer's name.") var name: String
    @Argument(help: "HOST:PORT.") var address: String?
    @Flag(help: "Forget the address: the peer is no longer dialled (it can still connect).") var clear = false

    func validate() throws {
        guard (address == nil) != !clear else { throw ValidationError("give either HOST:PORT or --clear") }
    }

    func run() throws {
        let parsed = try address.map { text in try Failure.report { () throws(SyncError) in try WaypostSync.PeerAddress(parsing: text) } }
        let opened = try node.openUnlockedNode()
        try Failure.report { try opened.replica.setAddress(parsed?.description, ofPeer: name) }
        print(parsed.map { "peer \(name) is at \($0)" } ?? "peer \(name) has no address now")
    }
}

/// `waypost peer list [--json]`.
struct PeerList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the trusted nodes: pairwise peers and enrolled network members.",
        discussion: "Each node shows how it is trusted: pairwise (field or admin), or enrolled in a network with a role.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let opened = try node.openNode()
        let (peers, trust, certificates, beyond) = try Failure.report {
            (try opened.replica.peers(), try opened.replica.trust(), try opened.replica.certificates(),
             try opened.replica.changesBeyondRevocations())
        }
        // Enrolled members, revoked or not, and revoked nodes this node knows only from their revocation.
        let listed = Set(peers.map(\.node))
        let others = Set(trust.grantedNodes + trust.revokedNodes).subtracting(listed).sorted()
        let revocations = Dictionary(
            uniqueKeysWithValues: RevocationRow.rows(trust: trust, beyond: beyond).map { ($0.node, $0) })
        func enrolledName(_ node: NodeID) -> String {
            if let peer = peers.first(where: { $0.node == node }) { return peer.name }
            return certificates.filter { $0.node == node }.max { $0.issuedAt < $1.issuedAt }?.name ?? node.short
        }
        func label(_ node: NodeID) -> String { node == opened.id ? "this node" : enrolledName(node) }
        if output.json {
            var entries = peers.map { peer in PeerJSON.make(peer, trust: trust, revocation: revocations[peer.node], label: label) }
            entries += others.map { node in
                JSONValue.object([
                    "name": .string(enrolledName(node)), "node": .string(node.description),
                    "trust": PeerJSON.trust(trust, node),
                    "revoked": revocations[node].map { $0.json(label: label) } ?? .null,
                ])
            }
            Output.json(.array(entries))
            return
        }
        if peers.isEmpty && others.isEmpty {
            print("no trusted nodes; add one with 'waypost peer add NAME NODE-ID' or join a network")
            return
        }
        func grants(_ node: NodeID) -> String {
            let grants = trust.grants(for: node)
            return grants.isEmpty ? "no grant" : grants.map(\.description).joined(separator: "; ")
        }
        for peer in peers {
            print("\(Output.pad(peer.name, 20)) \(peer.node)")
            if let revocation = revocations[peer.node] {
                print("  REVOKED: \(revocation.summary(label: label))")
                print("  not trusted (was: \(grants(peer.node)))")
            } else {
                print("  trusted: \(grants(peer.node))")
            }
            if let address = peer.address { print("  address: \(address)") }
            print("  last import: \(Output.time(peer.lastImportAt))   last export: \(Output.time(peer.lastExportAt))")
        }
        for node in others {
            print("\(Output.pad(enrolledName(node), 20)) \(node)")
            if let revocation = revocations[node] {
                print("  REVOKED: \(revocation.summary(label: label))")
                print("  not trusted (was: \(grants(node)))")
            } else {
                print("  trusted: \(grants(node))")
            }
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
        let opened = try node.openUnlockedNode()
        try Failure.report { try opened.replica.removePeer(named: name) }
        print("removed peer \(name)")
    }
}

/// `waypost peer seal`.
struct PeerSeal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal", abstract: "Accept the peers, networks, certificates and directives held as this node's own.",
        discussion: """
            A replica written by a Waypost from before these rows were authenticated under the node's key (or \
            one whose rows were changed in the files by other means) is refused by every command that needs the \
            passphrase. Check the rows first with 'waypost peer list' and 'waypost network list' (neither needs \
            the passphrase), remove what you do not recognise with sqlite3 or restore a backup, then run this \
            once: it authenticates the rows as they are now, and prints what it accepted.
            """)

    @OptionGroup var node: NodeOptions

    func run() throws {
        let source = PassphraseSource()
        let opened = try Failure.report { () throws(NodeError) in
            try Node.open(home: node.nodeHome, passphrase: source.current, verifyingTrustRows: false)
        }
        let (peers, networks, certificates) = try Failure.report {
            try opened.replica.sealTrustRows()
            return (try opened.replica.peers(), try opened.replica.joinedNetworks(), try opened.replica.certificates())
        }
        print("accepted \(peers.count) peer(s), \(networks.count) network(s) joined and \(certificates.count) certificate(s):")
        for peer in peers { print("  peer \(peer.name) \(peer.node)\(peer.role == .admin ? " (admin)" : "")\(peer.address.map { " at \($0)" } ?? "")") }
        for network in networks { print("  network \(network)") }
    }
}

/// A peer as JSON.
enum PeerJSON {
    static func make(
        _ peer: PeerRecord, trust: TrustRegistry? = nil, revocation: RevocationRow? = nil,
        label: (NodeID) -> String = { $0.short }
    ) -> JSONValue {
        .object([
            "revoked": revocation.map { $0.json(label: label) } ?? .null,
            "trust": trust.map { PeerJSON.trust($0, peer.node) } ?? .null,
            "role": .string(peer.role.description),
            "name": .string(peer.name), "node": .string(peer.node.description),
            "address": peer.address.map(JSONValue.string) ?? .null,
            "added_at": .string(Output.time(peer.addedAt)),
            "last_import_at": peer.lastImportAt.map { .string(Output.time($0)) } ?? .null,
            "last_export_at": peer.lastExportAt.map { .string(Output.time($0)) } ?? .null,
            "seen": .object(Dictionary(uniqueKeysWithValues: peer.seen.entries.map { ($0.key.description, JSONValue.integer($0.value)) })),
        ])
    }

    /// How a node is trusted, as a JSON array of grants.
    static func trust(_ trust: TrustRegistry, _ node: NodeID) -> JSONValue {
        .array(
            trust.grants(for: node).map { grant in
                switch grant {
                case .local: .object(["kind": .string("local")])
                case .pairwise(let role): .object(["kind": .string("pairwise"), "role": .string(role.description)])
                case .enrolled(let network, let role):
                    .object(["kind": .string("enrolled"), "network": .string(network.description), "role": .string(role.description)])
                }
            })
    }
}
