import WaypostCore
import WaypostStore
import WaypostTrust

/// One line of `status` per node this one syncs with: a named peer, or a node met over the network
/// (an enrolled member that dialled in, say).
struct PeerStatus {
    let name: String
    let node: NodeID
    let trust: TrustRegistry
    let address: String?
    let lastAddress: String?
    let lastSeenAt: UInt64?
    let lastSyncedAt: UInt64?
    let lastImportAt: UInt64?
    /// Changes this node holds that the peer, as of what it last said, lacks.
    let lacksOurs: UInt64
    /// Changes the peer said it holds that this node lacks.
    let weLack: UInt64

    static func rows(peers: [PeerRecord], contacts: [Contact], trust: TrustRegistry, versions: VersionVector) -> [PeerStatus] {
        var byNode: [NodeID: Contact] = [:]
        for contact in contacts { byNode[contact.node] = contact }
        func make(name: String, node: NodeID, peer: PeerRecord?) -> PeerStatus {
            let contact = byNode[node]
            let theirs = (contact?.versions ?? VersionVector()).merging(peer?.seen ?? VersionVector())
            return PeerStatus(
                name: name, node: node, trust: trust, address: peer?.address, lastAddress: contact?.lastAddress,
                lastSeenAt: contact?.lastSeenAt, lastSyncedAt: contact?.lastSyncedAt, lastImportAt: peer?.lastImportAt,
                lacksOurs: versions.missing(from: theirs), weLack: theirs.missing(from: versions))
        }
        var rows = peers.map { make(name: $0.name, node: $0.node, peer: $0) }
        let named = Set(peers.map(\.node))
        rows += contacts.filter { !named.contains($0.node) }.map { make(name: $0.node.short, node: $0.node, peer: nil) }
        return rows
    }

    var trustText: String {
        let grants = trust.grants(for: node)
        if !trust.revocations(of: node).isEmpty { return "REVOKED (see below)" }
        return grants.isEmpty ? "not trusted" : grants.map(\.description).joined(separator: "; ")
    }

    var json: JSONValue {
        .object([
            "name": .string(name), "node": .string(node.description), "trust": PeerJSON.trust(trust, node),
            "address": address.map(JSONValue.string) ?? .null, "last_address": lastAddress.map(JSONValue.string) ?? .null,
            "last_seen_at": lastSeenAt.map { .string(Output.time($0)) } ?? .null,
            "last_synced_at": lastSyncedAt.map { .string(Output.time($0)) } ?? .null,
            "last_import_at": lastImportAt.map { .string(Output.time($0)) } ?? .null,
            "lacks": .integer(lacksOurs), "we_lack": .integer(weLack),
            "revoked": .bool(!trust.revocations(of: node).isEmpty),
        ])
    }

    func printText() {
        print("peer      \(Output.pad(name, 16)) \(trustText); address \(address ?? "none")")
        print("          last seen \(Output.time(lastSeenAt)) at \(lastAddress ?? "-"), last synced \(Output.time(lastSyncedAt)), last import \(Output.time(lastImportAt))")
        print("          lacks \(lacksOurs) of our changes, we lack \(weLack) of its (as of its last sync or bundle)")
    }
}
