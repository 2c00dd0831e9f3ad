import WaypostCore
import WaypostStore
import WaypostTrust

/// A revoked node as `status` and `peer list` show it: who revoked it, when, why, and from which of its
/// changes on they are refused.
struct RevocationRow {
    /// The revoked node.
    let node: NodeID
    /// The earliest revocation of it in effect here.
    let first: Directive
    /// How many revocations of it are in effect here (admins may revoke a node independently).
    let count: Int
    /// The last of its changes still accepted: the lowest any revocation names.
    let lastAccepted: UInt64
    /// How many of its changes after `lastAccepted` this replica had applied before the revocation came.
    let appliedBefore: Int

    /// One row per revoked node, in node order.
    static func rows(trust: TrustRegistry, beyond: [NodeID: Int]) -> [RevocationRow] {
        trust.revokedNodes.compactMap { node in
            let revocations = trust.revocations(of: node)
            guard let first = revocations.first, let lastAccepted = trust.lastAccepted(of: node) else { return nil }
            return RevocationRow(
                node: node, first: first, count: revocations.count, lastAccepted: lastAccepted, appliedBefore: beyond[node] ?? 0)
        }
    }

    /// The revocation as a JSON object (`label` names nodes as the text output does).
    func json(label: (NodeID) -> String) -> JSONValue {
        .object([
            "node": .string(node.description), "name": .string(label(node)),
            "revoked_by": .string(first.issuer.description), "revoked_by_name": .string(label(first.issuer)),
            "revoked_at": .string(Output.time(first.issuedAt)), "reason": .string(first.reason),
            "last_accepted": .integer(lastAccepted), "revocations": .integer(count),
            "applied_before_revocation": .integer(appliedBefore),
        ])
    }

    /// One line: by whom, when, why, and what is refused.
    func summary(label: (NodeID) -> String) -> String {
        let others = count > 1 ? " (and \(count - 1) more revocation\(count == 2 ? "" : "s"))" : ""
        return "revoked by \(label(first.issuer)) on \(Output.time(first.issuedAt)): \"\(first.reason)\"\(others); "
            + "its changes after \(lastAccepted) are refused"
    }
}
