import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore
import WaypostTrust

/// `waypost network revoke NODE --reason TEXT [--last-accepted SEQ] [--json]`.
struct NetworkRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a lost or seized node, everywhere this node is an admin.",
        discussion: """
            Signs a revocation with this node's key. From now on this node refuses the revoked node when it \
            connects, sends it nothing, and refuses its changes after the last accepted one, whoever relays \
            them. The revocation travels in every bundle and sync session like a change; every node that \
            takes this node for an admin (enrolled as admin in a network it joined, or added with \
            'peer add --admin') does the same. The node's changes up to the last accepted one stay and keep \
            travelling. Other nodes refuse revocations from nodes that are not admins to them.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The node to revoke: its node id, or its peer name on this node.") var target: String
    @Option(help: "Why, for the people who will read it in 'status' everywhere (1 to 256 bytes of text).")
    var reason: String
    @Option(
        help: ArgumentHelp(
            "The last of the node's changes still accepted; its later ones are refused everywhere.",
            discussion: "Default: the last one this node holds. It must be one that carries the node's signature.",
            valueName: "sequence"))
    var lastAccepted: UInt64?

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        let subject: NodeID
        if let peer = try? opened.replica.peer(named: target) {
            subject = peer.node
        } else if let parsed = try? NodeID(parsing: target) {
            subject = parsed
        } else {
            throw Failure.fail("'\(target)' is neither a peer's name nor a node id; see 'waypost peer list'", code: 3)
        }
        let directive = try Failure.report { () throws(NodeError) in
            try opened.revoke(subject, reason: reason, lastAccepted: lastAccepted, keys: keys)
        }
        let isAdmin = try Failure.report { () throws(NodeError) in try opened.isAdminOfANetwork() }
        guard case .revoke(_, let last) = directive.kind else { return }
        let note =
            "other nodes accept it only if they take this node for an admin: an admin certificate of a network they "
            + "joined, or 'peer add --admin' there"
        if output.json {
            Output.json(
                .object([
                    "node": .string(subject.description), "last_accepted": .integer(last), "reason": .string(directive.reason),
                    "issued_at": .string(Output.time(directive.issuedAt)), "issuer": .string(directive.issuer.description),
                    "admin_of_a_network": .bool(isAdmin),
                ]))
            return
        }
        print("revoked \(subject.short): its changes after \(last) are refused, and this node no longer syncs with it")
        print("the revocation goes out with every bundle and sync from now on")
        if !isAdmin { print("note: this node holds no admin certificate; \(note)") }
    }
}
