import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore
import WaypostTrust

/// `waypost network create|join|enroll|revoke|list`.
struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "Trust nodes through a network key, so new sites need not be added everywhere by hand.",
        discussion: """
            An admin creates a network and gives its id to every site; each site joins it once. The admin \
            then enrolls nodes; their certificates travel inside bundles, and every node that has joined \
            the network trusts the nodes it enrolled. An admin revokes a lost or seized node with \
            'network revoke'.
            """,
        subcommands: [NetworkCreate.self, NetworkJoin.self, NetworkEnroll.self, NetworkRevoke.self, NetworkList.self])
}

/// `waypost network create --name NAME`.
struct NetworkCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a network key; this node joins it as its first admin.")

    @OptionGroup var node: NodeOptions
    @Option(help: "The network's name, e.g. north-corridor.") var name: String

    func run() throws {
        let (opened, keys, source) = try node.openNodeWithKeys()
        let network = try Failure.report { () throws(NodeError) in
            try opened.createNetwork(
                name: name, keys: keys, passphrase: opened.isPassphraseProtected ? try? source.current() : nil)
        }
        print("created network \(name)")
        print("network id: \(network)")
        print("give this id to every site: 'waypost network join \(network)'")
    }
}

/// `waypost network join NETWORK-ID`.
struct NetworkJoin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join", abstract: "Trust the nodes a network enrolls.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The network id printed by 'network create'.") var networkID: String

    func run() throws {
        let opened = try node.openUnlockedNode()
        try Failure.report {
            let network = try NodeID(parsing: networkID)
            try opened.joinNetwork(network)
        }
        print("joined network \(networkID); nodes it enrolls are trusted from now on")
    }
}

/// `waypost network enroll NODE-ID --name NAME [--role field|admin] [--network ID]`.
struct NetworkEnroll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll", abstract: "Sign a membership certificate for a node (on an admin's node).",
        discussion: "The certificate travels in the bundles this node writes from now on.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The node's id, as 'waypost id' prints it there.") var nodeID: String
    @Option(help: "The node's name, e.g. clinic-7.") var name: String
    @Option(help: "field (default) or admin.") var role = "field"
    @Option(help: "The network, if this node is an admin of several.") var network: String?

    func run() throws {
        let (opened, keys, source) = try node.openNodeWithKeys()
        let certificate = try Failure.report {
            guard let role = Role(name: role) else { throw CoreError(.invalidValue, "'\(role)' is not a role: use field or admin") }
            let member = try NodeID(parsing: nodeID)
            let network = try network.map { text throws(CoreError) in try NodeID(parsing: text) }
            return try opened.enroll(member, name: name, role: role, in: network, keys: keys, passphrase: source.current)
        }
        print("enrolled \(name) (\(certificate.role)) in network \(certificate.network.short)")
    }
}

/// `waypost network list [--json]`.
struct NetworkList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the networks this node has joined and their members.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let opened = try node.openNode()
        let (joined, held, certificates, trust) = try Failure.report {
            (try opened.replica.joinedNetworks(), try opened.replica.networkKeys(), try opened.replica.certificates(),
             try opened.replica.trust())
        }
        func members(_ network: NodeID) -> [(NodeID, Role, String)] {
            trust.trustedNodes.compactMap { node -> (NodeID, Role, String)? in
                guard let grant = trust.grants(for: node).first(where: {
                    if case .enrolled(network, _) = $0 { return true } else { return false }
                }) else { return nil }
                let name = certificates.filter { $0.node == node && $0.network == network }.last?.name ?? node.short
                return (node, grant.role, name)
            } + (trust.grants(for: opened.id).contains(.enrolled(network: network, role: .admin)) ? [(opened.id, .admin, "this node")] : [])
        }
        if output.json {
            Output.json(
                .array(
                    joined.map { network in
                        .object([
                            "network": .string(network.description),
                            "name": held.first { $0.network == network }.map { .string($0.name) } ?? .null,
                            "holds_key": .bool(held.contains { $0.network == network }),
                            "members": .array(members(network).map {
                                .object(["node": .string($0.0.description), "role": .string($0.1.description), "name": .string($0.2)])
                            }),
                        ])
                    }))
            return
        }
        if joined.isEmpty { print("no networks joined") }
        for network in joined {
            let name = held.first { $0.network == network }?.name
            print("network \(network)\(name.map { "  (\($0), this node holds its key)" } ?? "")")
            for (member, role, memberName) in members(network) { print("  \(Output.pad(memberName, 20)) \(role)  \(member.short)") }
        }
    }
}
