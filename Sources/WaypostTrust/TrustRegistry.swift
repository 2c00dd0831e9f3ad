public import WaypostCore

/// Who this node trusts, and why: pairwise peers, and the members of the networks it has joined as
/// their certificates show. Pure: it is given the facts and answers questions.
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

    /// Builds the registry from this node, its pairwise peers, the networks it has joined, and every
    /// certificate it holds (certificates whose signature was checked when they were decoded).
    ///
    /// A certificate counts if its network is joined and its issuer is the network key or a node that
    /// holds, in turn, a counting admin certificate of the same network.
    public init(local: NodeID, pairwise: [NodeID: Role], joinedNetworks: Set<NodeID>, certificates: [Certificate]) {
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
    }

    /// Every reason `node` is trusted; empty if it is not.
    public func grants(for node: NodeID) -> [Grant] {
        Array(Set(grants[node] ?? [])).sorted { $0.description < $1.description }
    }

    /// Whether `node`'s changes are accepted.
    public func trusts(_ node: NodeID) -> Bool { !(grants[node] ?? []).isEmpty }

    /// The highest role any grant gives `node`, or nil if untrusted.
    public func role(of node: NodeID) -> Role? { (grants[node] ?? []).map(\.role).max() }

    /// Every trusted node other than this one.
    public var trustedNodes: [NodeID] { grants.filter { !$0.value.contains(.local) }.keys.sorted() }
}
