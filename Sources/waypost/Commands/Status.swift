import ArgumentParser
import WaypostCore
import WaypostNode
import WaypostStore
import WaypostTrust

/// `waypost status [--json]`.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show this node, its counts, what each peer has seen, revoked nodes, and warnings.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let opened = try node.openNode()
        let (name, statistics, peers, versions, trust) = try Failure.report {
            (try opened.replica.name(), try opened.replica.statistics(), try opened.replica.peers(), try opened.replica.versions(),
             try opened.replica.trust())
        }
        let (contacts, beyond) = try Failure.report { (try opened.replica.contacts(), try opened.replica.changesBeyondRevocations()) }
        let revocations = RevocationRow.rows(trust: trust, beyond: beyond)
        let certificates = try Failure.report { try opened.replica.certificates() }
        func label(_ node: NodeID) -> String {
            let text = Output.label(node, local: opened.id, peers: peers)
            guard text == node.short else { return text }
            return certificates.filter { $0.node == node }.max { $0.issuedAt < $1.issuedAt }?.name ?? text
        }
        let rows = PeerStatus.rows(peers: peers, contacts: contacts, trust: trust, versions: versions)
        let now = SQLiteReplica.systemWallClock()
        let ahead = statistics.origins.filter { HybridClock.isAhead($0.value.latest, ofWallMilliseconds: now) }.keys.sorted()
        if output.json {
            Output.json(
                .object([
                    "node": .string(opened.id.description), "name": .string(name),
                    "records": .object(["case": .integer(statistics.records[.caseFile] ?? 0), "service": .integer(statistics.records[.service] ?? 0)]),
                    "changes": .integer(statistics.changes), "conflicts": .integer(statistics.conflicts),
                    "versions": .object(Dictionary(uniqueKeysWithValues: versions.entries.map { ($0.key.description, JSONValue.integer($0.value)) })),
                    "peers": .array(rows.map(\.json)),
                    "revoked": .array(revocations.map { $0.json(label: label) }),
                    "clock_warnings": .array(ahead.map { origin in
                        .object(["origin": .string(origin.description), "latest": .string(statistics.origins[origin]!.latest.description)])
                    }),
                ]))
            return
        }
        print("node      \(name)  \(opened.id)")
        print("home      \(opened.home.path)")
        print("records   \(statistics.records[.caseFile] ?? 0) cases, \(statistics.records[.service] ?? 0) services")
        print("changes   \(statistics.changes) from \(statistics.origins.count) node\(statistics.origins.count == 1 ? "" : "s")")
        print("conflicts \(statistics.conflicts)\(statistics.conflicts > 0 ? "   (see 'waypost conflicts')" : "")")
        if rows.isEmpty { print("peers     none") }
        for row in rows { row.printText() }
        for revocation in revocations {
            print("revoked   \(label(revocation.node)) (\(revocation.node.short)) \(revocation.summary(label: label))")
            if revocation.appliedBefore > 0 {
                print(
                    "warning   \(revocation.appliedBefore) change\(revocation.appliedBefore == 1 ? "" : "s") of \(label(revocation.node)) "
                        + "beyond the revocation point \(revocation.appliedBefore == 1 ? "was" : "were") applied before it arrived; "
                        + "they stay, and are not passed on")
            }
        }
        for origin in ahead {
            let label = Output.label(origin, local: opened.id, peers: peers)
            print("warning   \(label) (\(origin.short)) writes timestamps ahead of this clock (latest \(statistics.origins[origin]!.latest)); its clock is probably wrong")
        }
    }
}
