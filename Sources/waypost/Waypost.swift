import ArgumentParser
import Foundation
import WaypostCrypto

/// The `waypost` command: a peer-to-peer, offline-first sync node for case files and service
/// directories.
@main
struct Waypost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "waypost",
        abstract: "Keep case files and service directories in sync between sites that are rarely connected.",
        discussion: """
            Every node keeps a full replica in SQLite. Changes merge with CRDT rules: edits made while \
            apart converge when the nodes meet, and concurrent edits of one field are kept as a conflict \
            until someone resolves it. Nodes exchange changes over the network ('serve', 'sync') or as bundle files (on a USB stick, say).

            The node's home is --home DIR, else $WAYPOST_HOME, else ~/.waypost.
            Exit codes: 0 success, 1 failure, 2 usage, 3 not found, 4 invalid input, 5 bundle or sync refused, \
            6 disk full, 7 wrong passphrase, 8 peer unreachable or link dropped.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, ID.self, Passphrase.self, CaseCommand.self, ServiceCommand.self, Conflicts.self, Resolve.self,
            PeerCommand.self, NetworkCommand.self, BundleCommand.self, Serve.self, SyncCommand.self, Status.self, Log.self, SQLCommand.self, AuditCommand.self, RetentionCommand.self,
            Backup.self, Restore.self,
        ]
    )

    /// Parses and runs the command. ArgumentParser reports a usage error on several lines with exit
    /// code 64 (EX_USAGE); Waypost documents one line starting `waypost: ` and exit code 2.
    ///
    /// Before anything else, for every command: no core dump (the process will hold keys), and the
    /// passphrase variables out of the environment.
    static func main() async {
        ProcessProtection.disableCoreDumps()
        _ = PassphraseVariables.taken
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            let lines = message(for: error).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let code = Failure.fail(lines.joined(separator: "; "), code: 2)
            Foundation.exit(code.rawValue)
        }
    }
}
