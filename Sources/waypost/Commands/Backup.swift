import ArgumentParser
import Foundation
import WaypostNode

/// `waypost backup --out FILE`.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write one file that brings this node back with 'waypost restore': identity, replica, peers and networks.",
        discussion: """
            Needs the passphrase. The file holds the identity key file as it is (sealed under the passphrase), then, \
            encrypted under a key derived from the node's key, a consistent snapshot of the replica (safe while \
            'serve' runs) and the keys of the networks this node created: nothing in it is readable without the \
            passphrase, not even record ids, peers or field names. Mode 0600; an existing file is never \
            overwritten. A case erased after the backup was taken stays readable in it, by whoever has the \
            passphrase, until the file is destroyed. Protocol/backup.md specifies the format.
            """)

    @OptionGroup var node: NodeOptions

    @Option(help: "The backup file to write (it must not exist).")
    var out: String

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        let started = Date()
        let summary = try Failure.report { () throws(NodeError) in try opened.backup(to: out, keys: keys) }
        let seconds = Date().timeIntervalSince(started)
        print(
            "backed up node \(opened.id) to \(out): \(summary.bytes) bytes, \(summary.files.count) files "
                + "(\(summary.files.joined(separator: ", "))), its own changes up to \(summary.sequence), "
                + String(format: "in %.2f s", seconds))
    }
}
