import ArgumentParser
import Foundation
import WaypostCrypto
import WaypostNode

/// `waypost restore FILE [--replace]` and `waypost restore --resume`.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring a node back from a file of 'waypost backup', or let a restored node write again (--resume).",
        discussion: """
            Needs the passphrase the node had when the backup was taken. Restores the identity key, the replica \
            (cases as of the backup), peers, networks and network keys into the home (--home, $WAYPOST_HOME or \
            ~/.waypost). Works when replica.sqlite is missing or damaged; refuses a home whose replica opens and \
            works, or that holds another node's key, unless --replace. A file cut short or altered is refused and \
            nothing changes.

            A restored node may have signed changes after the backup was taken that the backup does not hold; \
            signing others under those numbers would be equivocation. So it receives changes ('sync', 'bundle \
            import', 'serve') but refuses every local write (case and service edits, resolve, erase, revoke, \
            enroll, retention run) until an admin, after syncing with its peers, runs 'waypost restore --resume', \
            which states the number of the node's next change.
            """)

    @OptionGroup var node: NodeOptions

    @Argument(help: "The backup file (not with --resume).")
    var file: String?

    @Flag(help: "Overwrite a replica that opens and works, or another node's key file.")
    var replace = false

    @Flag(help: "After syncing with the peers: let this restored node sign changes again.")
    var resume = false

    func validate() throws {
        if resume, file != nil || replace { throw ValidationError("--resume takes no FILE and no --replace") }
        if !resume, file == nil { throw ValidationError("give the backup FILE to restore, or --resume") }
    }

    func run() throws {
        if resume { return try resumeWrites() }
        let source = PassphraseSource()
        let home = node.nodeHome
        let summary = try Failure.report { () throws(NodeError) in
            try Node.restore(from: file ?? "", home: home, passphrase: source.current, replacing: replace)
        }
        print("restored node \(summary.node) in \(home.path): \(summary.files.joined(separator: ", "))")
        print(
            "its own changes up to \(summary.sequence) are back; it signs nothing until you have synced with its peers "
                + "(waypost sync PEER, or bundle import) and run 'waypost restore --resume'")
    }

    private func resumeWrites() throws {
        let (opened, _, _) = try node.openNodeWithKeys()
        let resumed = try Failure.report { () throws(NodeError) in try opened.resumeWrites() }
        if let backupHeld = resumed.backupHeld {
            let learned =
                resumed.held > backupHeld
                ? "learned its own changes \(backupHeld + 1) to \(resumed.held) from its peers since the backup"
                : "learned none of its own changes beyond the backup's \(backupHeld) from its peers"
            print("resumed: this node \(learned); its next change will be number \(resumed.next)")
        } else {
            print("this node was not waiting to resume; its next change will be number \(resumed.next)")
        }
    }
}
