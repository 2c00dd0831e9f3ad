import WaypostCore

/// What `bundle import` and `sync` say about changes and certificates they received and did not take.
enum HeldLines {
    /// One line for each kind of thing received and not taken, none when there was none.
    static func lines(untrustedOrigins: [NodeID: Int], withheldValues: Int, notHeld: Int, certificatesRefused: Int) -> [String] {
        var lines: [String] = []
        for (origin, count) in untrustedOrigins.sorted(by: { $0.key < $1.key }) {
            lines.append(
                "warning: skipped \(count) change(s) from node \(origin), which this node does not trust; they apply once it is "
                    + "trusted ('waypost peer add', or join a network that enrolled it)")
        }
        if withheldValues > 0 {
            lines.append(
                "warning: the sender withheld the value of \(withheldValues) change(s) of records no admin erased here; "
                    + "they and what follows them wait for a copy with the value")
        }
        if notHeld > 0 {
            lines.append(
                "\(notHeld) change(s) too far ahead of what this node holds were not kept; they come again with the changes before them")
        }
        if certificatesRefused > 0 {
            lines.append("\(certificatesRefused) certificate(s) that cannot count here were not kept")
        }
        return lines
    }

    /// The same counts as JSON members.
    static func json(untrustedOrigins: [NodeID: Int], withheldValues: Int, notHeld: Int, certificatesRefused: Int)
        -> [String: JSONValue]
    {
        [
            "untrusted_origins": .object(
                Dictionary(uniqueKeysWithValues: untrustedOrigins.map { ($0.key.description, JSONValue.integer($0.value)) })),
            "withheld_values": .integer(withheldValues), "not_held": .integer(notHeld),
            "certificates_refused": .integer(certificatesRefused),
        ]
    }
}
