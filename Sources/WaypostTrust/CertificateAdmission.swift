public import WaypostCore

/// Which received certificates a node keeps (`Protocol/trust.md` §6.3). Pure.
///
/// A certificate costs nothing to make: any enrolled node, or anyone, can sign one for a network of its
/// own invention. Kept forever, re-read on every trust decision and sent on in every sync, 25,000 of them
/// would make every trust decision slow and every first batch too large to send. So a node keeps only:
/// - a certificate that **counts**: its network is joined here, and its issuer is the network key or a
///   member with a counting admin certificate of that network (as ``TrustRegistry`` counts them), up to
///   ``Limits/perNetwork`` for each network;
/// - a certificate of **this node itself** that does not count here (it may count for the peers it shows
///   it to: a node enrolled before it joined, say), up to ``Limits/ownUncounted``.
/// The others are refused and counted.
public enum CertificateAdmission {
    /// The bounds on what is kept.
    public struct Limits: Sendable, Hashable {
        /// Certificates kept for one network.
        public let perNetwork: Int
        /// Certificates naming this node that do not count here.
        public let ownUncounted: Int

        /// Makes limits.
        public init(perNetwork: Int, ownUncounted: Int) {
            self.perNetwork = perNetwork
            self.ownUncounted = ownUncounted
        }

        /// 10,000 members a network; 64 certificates of this node's own that do not count here.
        public static let standard = Limits(perNetwork: 10_000, ownUncounted: 64)
    }

    /// What to do with received certificates.
    public struct Decision: Sendable, Hashable {
        /// The new certificates to keep: those that count, in the order they were found to, then this
        /// node's own.
        public var kept: [Certificate] = []
        /// How many new ones were refused.
        public var refused = 0
    }

    /// Decides which of `incoming` to keep, given those `held` and whom this node is.
    public static func decide(
        _ incoming: [Certificate], held: [Certificate], local: NodeID, joinedNetworks: Set<NodeID>,
        limits: Limits = .standard
    ) -> Decision {
        let heldSet = Set(held)
        var seen = heldSet
        var fresh: [Certificate] = []
        for certificate in incoming where seen.insert(certificate).inserted { fresh.append(certificate) }
        var decision = Decision()
        guard !fresh.isEmpty else { return decision }

        // The admins of each joined network among the held certificates, as the registry counts them.
        var admins: [NodeID: Set<NodeID>] = [:]
        var perNetwork: [NodeID: Int] = [:]
        var ownUncounted = 0
        var counted: Set<Certificate> = []
        func mayIssue(_ certificate: Certificate) -> Bool {
            joinedNetworks.contains(certificate.network)
                && (certificate.issuer == certificate.network || admins[certificate.network, default: []].contains(certificate.issuer))
        }
        func count(_ pool: [Certificate], keeping: Bool) {
            var progress = true
            while progress {
                progress = false
                for certificate in pool where !counted.contains(certificate) && mayIssue(certificate) {
                    if keeping {
                        guard perNetwork[certificate.network, default: 0] < limits.perNetwork else { continue }
                        decision.kept.append(certificate)
                    }
                    counted.insert(certificate)
                    perNetwork[certificate.network, default: 0] += 1
                    progress = true
                    if certificate.role == .admin { admins[certificate.network, default: []].insert(certificate.node) }
                }
            }
        }
        count(held, keeping: false)
        for certificate in held where !counted.contains(certificate) && certificate.node == local { ownUncounted += 1 }
        count(fresh, keeping: true)
        for certificate in fresh where !counted.contains(certificate) {
            if certificate.node == local, ownUncounted < limits.ownUncounted {
                decision.kept.append(certificate)
                ownUncounted += 1
            } else {
                decision.refused += 1
            }
        }
        return decision
    }
}
