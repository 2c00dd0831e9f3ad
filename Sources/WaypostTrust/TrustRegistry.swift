public import WaypostCore

/// Who this node trusts, and why: pairwise peers, and the members of the networks it has joined as
/// their certificates show, less the nodes an admin revoked. Pure: it is given the facts and answers
/// questions.
///
/// A revoked node keeps its grants (``grants(for:)`` still lists them, for `peer list`), but counts
/// for nothing: it is not trusted (``trusts(_:)``), has no role (``role(of:)``), and only its changes
/// up to the revocation's last accepted sequence are accepted (``lastAccepted(of:)``).
public struct TrustRegistry: Sendable {
    /// One reason a node is trusted.
    public enum Grant: Sendable, Hashable, CustomStringConvertible {
        /// This node itself.
        case local
        /// Added with `peer add` (as an admin with `--admin`).
        case pairwise(Role)
        /// Enrolled in a joined network with a role.
        case enrolled(network: NodeID, role: Role)

        /// The role this grant gives.
        public var role: Role {
            switch self {
            case .local: .admin
            case .pairwise(let role), .enrolled(_, let role): role
            }
        }

        public var description: String {
            switch self {
            case .local: "this node"
            case .pairwise(let role): "pairwise (\(role))"
            case .enrolled(let network, let role): "enrolled in network \(network.short) (\(role))"
            }
        }
    }

    private var grants: [NodeID: [Grant]] = [:]
    private let local: NodeID
    /// The revocations in effect, by the node they name (never this node).
    private var revocations: [NodeID: [Directive]] = [:]

    /// Builds the registry from this node, its pairwise peers, the networks it has joined, and every
    /// certificate it holds (certificates whose signature was checked when they were decoded).
    ///
    /// A certificate counts if its network is joined and its issuer is the network key or a node that
    /// holds, in turn, a counting admin certificate of the same network.
    ///
    /// `revocations` are the revocation directives this node accepted when they arrived
    /// (``judge(_:)``); a revocation of this node itself, or a directive of another kind, is ignored.
    public init(
        local: NodeID, pairwise: [NodeID: Role], joinedNetworks: Set<NodeID>, certificates: [Certificate],
        revocations: [Directive] = []
    ) {
        self.local = local
        grants[local] = [.local]
        for (node, role) in pairwise { grants[node, default: []].append(.pairwise(role)) }
        var admins: [NodeID: Set<NodeID>] = [:]  // network → admin members with a counting certificate
        var counted: Set<Certificate> = []
        var progress = true
        while progress {
            progress = false
            for certificate in certificates where joinedNetworks.contains(certificate.network) && !counted.contains(certificate) {
                let issuerMayIssue = certificate.issuer == certificate.network
                    || admins[certificate.network, default: []].contains(certificate.issuer)
                guard issuerMayIssue else { continue }
                counted.insert(certificate)
                progress = true
                grants[certificate.node, default: []].append(.enrolled(network: certificate.network, role: certificate.role))
                if certificate.role == .admin { admins[certificate.network, default: []].insert(certificate.node) }
            }
        }
        for directive in revocations { record(directive) }
    }

    /// Puts a revocation into effect (one this node has just accepted). Ignored if it names this node
    /// or is not a revocation.
    public mutating func record(_ directive: Directive) {
        guard let node = directive.revokedNode, node != local else { return }
        if !(revocations[node] ?? []).contains(directive) { revocations[node, default: []].append(directive) }
    }

    /// Every reason `node` is trusted; empty if it is not.
    public func grants(for node: NodeID) -> [Grant] {
        Array(Set(grants[node] ?? [])).sorted { $0.description < $1.description }
    }

    /// Whether `node` is trusted: it has a grant and is not revoked. A node that is not trusted is
    /// refused at the handshake and as a bundle's sender.
    public func trusts(_ node: NodeID) -> Bool { isGranted(node) && revocations[node] == nil }

    /// Whether `node` has any grant, revoked or not.
    public func isGranted(_ node: NodeID) -> Bool { !(grants[node] ?? []).isEmpty }

    /// The highest role any grant gives `node`, or nil if it is untrusted or revoked.
    public func role(of node: NodeID) -> Role? { trusts(node) ? (grants[node] ?? []).map(\.role).max() : nil }

    /// Every trusted node other than this one (revoked nodes are not).
    public var trustedNodes: [NodeID] { grants.keys.filter { $0 != local && trusts($0) }.sorted() }

    /// Every node with a grant other than this one, revoked or not: what `peer list` shows.
    public var grantedNodes: [NodeID] { grants.keys.filter { $0 != local }.sorted() }

    /// Every revoked node.
    public var revokedNodes: [NodeID] { revocations.keys.sorted() }

    /// The revocations in effect for `node`, oldest first; empty if it is not revoked.
    public func revocations(of node: NodeID) -> [Directive] {
        (revocations[node] ?? []).sorted(by: Directive.precedes)
    }

    /// The last sequence of `node`'s changes still accepted, if it is revoked: the lowest that any of
    /// its revocations names. Nil if it is not revoked.
    public func lastAccepted(of node: NodeID) -> UInt64? {
        (revocations[node] ?? []).compactMap { directive -> UInt64? in
            if case .revoke(_, let lastAccepted) = directive.kind { return lastAccepted }
            return nil
        }.min()
    }

    /// What a node does with a directive it receives (`Protocol/trust.md` §7.3).
    public enum Judgement: Sendable, Hashable {
        /// Its issuer is an admin here: it is stored, passed on, and takes effect.
        case accepted
        /// A revocation of this node, from an admin: stored and passed on, but without effect here (a
        /// node does not stop trusting itself).
        case storedWithoutEffect
        /// Its issuer is not an admin here (or is revoked): it is refused, neither stored nor passed on.
        case refused(String)
    }

    /// Whether a directive (whose signature was checked when it was decoded) counts here: only if its
    /// issuer is this node, or a node whose role, by the grants of this registry, is admin and that is
    /// not revoked.
    public func judge(_ directive: Directive) -> Judgement {
        let issuer = directive.issuer
        if issuer != local {
            if revocations[issuer] != nil {
                return .refused("its issuer \(issuer.short) is revoked")
            }
            guard role(of: issuer) == .admin else {
                return .refused(
                    isGranted(issuer)
                        ? "its issuer \(issuer.short) is not an admin here" : "its issuer \(issuer.short) is not trusted here")
            }
        }
        if directive.revokedNode == local { return .storedWithoutEffect }
        return .accepted
    }
}
