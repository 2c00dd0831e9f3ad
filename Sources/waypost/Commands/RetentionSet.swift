import ArgumentParser
import WaypostNode
import WaypostStore

/// `waypost retention set case (--closed-for DAYS | --clear)`.
struct RetentionSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set or clear how long closed cases are kept.",
        discussion: """
            With --closed-for DAYS, cases whose status has been 'closed' for more than DAYS days (24-hour \
            days, counted from the last change of the status) are erased by 'waypost retention run' and by \
            'waypost serve' (at start, then daily). Nothing is erased when the policy is set. Needs the \
            node's passphrase, since the erasures are signed with its key.
            """)

    @OptionGroup var node: NodeOptions
    @Argument(help: ArgumentHelp("The collection: only 'case' is supported.", valueName: "collection"))
    var collection: String
    @Option(help: ArgumentHelp("Erase cases closed for more than this many days (1 to 36500).", valueName: "days"))
    var closedFor: Int?
    @Flag(help: "Remove the policy: nothing is erased for age any more.") var clear = false

    func validate() throws {
        try RetentionCommand.validate(collection: collection)
        guard (closedFor != nil) != clear else {
            throw ValidationError("give either --closed-for DAYS or --clear")
        }
    }

    func run() throws {
        let (opened, _, _) = try node.openNodeWithKeys()
        guard let closedFor else {
            try Failure.report { try opened.replica.setRetentionPolicy(nil) }
            print("retention policy cleared: no case is erased for its age")
            return
        }
        let policy = try Failure.report { () throws(StoreError) in try RetentionPolicy(closedForDays: closedFor) }
        try Failure.report { try opened.replica.setRetentionPolicy(policy) }
        let isAdmin = try Failure.report { () throws(NodeError) in try opened.isAdminOfANetwork() }
        print(
            "retention policy set: cases \(policy) are erased by 'waypost retention run' and daily by 'waypost serve'")
        if !isAdmin {
            print(
                "note: this node holds no admin certificate; other nodes accept its erasures only if they take this node "
                    + "for an admin: an admin certificate of a network they joined, or 'peer add --admin' there")
        }
    }
}
