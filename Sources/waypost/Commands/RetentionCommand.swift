import ArgumentParser

/// `waypost retention ...`.
struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Erase closed cases once they have been closed longer than a set period.",
        discussion: """
            A retention policy ('retention set case --closed-for DAYS') makes this node erase every case whose \
            status has been 'closed' for more than DAYS days: 'retention run' applies it now, and 'serve' at \
            start and then every 24 hours. A case whose status is in conflict is never erased until the \
            conflict is resolved. Each erasure is an erase directive signed by this node, as 'case erase' \
            makes: it travels in every bundle and sync session, and nodes that take this node for an admin \
            erase the case too. The policy itself is this node's own setting and is not synced.
            """,
        subcommands: [RetentionSet.self, RetentionShow.self, RetentionRun.self])

    /// The one collection a policy can be set for, as people type it.
    static let supportedCollection = "case"

    /// Checks a collection argument: only cases are supported.
    static func validate(collection: String) throws {
        guard collection == supportedCollection else {
            throw ValidationError(
                "retention applies to cases only, not '\(collection)': use 'waypost retention set case --closed-for DAYS'"
            )
        }
    }
}
