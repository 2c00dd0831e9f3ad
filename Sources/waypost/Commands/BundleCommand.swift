import ArgumentParser
import Foundation
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost bundle export|import`.
struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle", abstract: "Carry changes between nodes as files (on a USB stick, say).",
        subcommands: [BundleExport.self, BundleImport.self])
}

/// `waypost bundle export (--to PEER | --all) --out FILE`.
struct BundleExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the changes a peer may lack (or all changes) to a file.",
        discussion: """
            With --to, the bundle holds every change the peer had not seen when it last sent this node a \
            bundle, so it is proportional to what changed. The file is written atomically.
            """)

    @OptionGroup var node: NodeOptions
    @Option(help: "The peer the bundle is for.") var to: String?
    @Flag(help: "Write every change in the replica.") var all = false
    @Option(help: "The file to write.", completion: .file()) var out: String

    func validate() throws {
        guard (to == nil) != !all else { throw ValidationError("give either --to PEER or --all") }
    }

    func run() throws {
        let opened = try node.openNode()
        let summary = try Failure.report { () throws(NodeError) in try opened.exportBundle(for: to, to: out) }
        print("wrote \(summary.changes) change\(summary.changes == 1 ? "" : "s") (\(summary.bytes) bytes) to \(out)")
    }
}

/// `waypost bundle import FILE`.
struct BundleImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Merge a bundle file into the replica.",
        discussion: """
            The whole bundle is checked before anything is applied: a truncated, damaged or invalid bundle \
            is refused and changes nothing. Importing a bundle twice, or bundles in any order, is safe.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The bundle file.", completion: .file()) var file: String

    func run() throws {
        let opened = try node.openNode()
        guard FileManager.default.fileExists(atPath: file) else {
            throw Failure.fail("cannot read \(file): no such file", code: 3)
        }
        let summary = try Failure.report { () throws(NodeError) in try opened.importBundle(from: file) }
        let report = summary.report
        if output.json {
            Output.json(
                .object([
                    "sender": .string(summary.sender.description), "changes": .integer(summary.changes),
                    "applied": .integer(report.applied), "duplicates": .integer(report.duplicates),
                    "held_back": .integer(report.heldBackCount),
                    "origins_ahead": .array(report.originsAhead.sorted().map { .string($0.description) }),
                ]))
            return
        }
        if report.applied == 0 && report.heldBackCount == 0 {
            print("nothing new: all \(summary.changes) changes were already in the replica")
        } else {
            print("applied \(report.applied) new change\(report.applied == 1 ? "" : "s") (\(report.duplicates) already known)")
        }
        if report.heldBackCount > 0 {
            print("held back \(report.heldBackCount) change(s) whose earlier changes are missing; import an older bundle from that node first")
        }
        for origin in report.originsAhead.sorted() {
            print("warning: node \(origin.short) writes timestamps more than 5 minutes ahead of this node's clock")
        }
    }
}
