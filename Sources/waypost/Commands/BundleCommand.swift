import ArgumentParser
import Foundation
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost bundle export|import|recipients`.
struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle", abstract: "Carry changes between nodes as encrypted files (on a USB stick, say).",
        subcommands: [BundleExport.self, BundleImport.self, BundleRecipients.self])
}

/// `waypost bundle export (--to PEER... | --all) --out FILE`.
struct BundleExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the changes peers may lack (or all changes) to an encrypted file.",
        discussion: """
            The bundle is encrypted for the peers named with --to (repeat it for several) and signed by \
            this node; only they can read it, and they can check that it comes from this node and that \
            every change in it is exactly what its origin wrote. It holds every change they had not seen \
            when they last sent this node a bundle (every change with --all), so it is proportional to what \
            changed. With --all and no --to, the bundle is a backup only this node can read. The file is \
            written atomically.
            """)

    @OptionGroup var node: NodeOptions
    @Option(help: "A peer the bundle is for; repeat for several.") var to: [String] = []
    @Flag(help: "Write every change in the replica, not only what the peers lack.") var all = false
    @Option(help: "The file to write.", completion: .file()) var out: String
    @OptionGroup var access: ReasonOption

    func validate() throws {
        guard !to.isEmpty || all else { throw ValidationError("give --to PEER (one or more), or --all") }
    }

    func run() throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        let summary = try Failure.report { () throws(NodeError) in
            try opened.exportBundle(for: to, all: all, to: out, keys: keys)
        }
        let audience = to.isEmpty ? "this node only" : to.joined(separator: ", ")
        try AccessLog.record(opened, command: "bundle export", scope: "\(summary.changes) changes for \(audience)", reason: access.reason)
        print("wrote \(summary.changes) change\(summary.changes == 1 ? "" : "s") (\(summary.bytes) bytes) for \(audience) to \(out)")
    }
}

/// `waypost bundle import FILE`.
struct BundleImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Decrypt, check and merge a bundle file into the replica.",
        discussion: """
            The whole bundle is checked before anything is applied: a truncated, damaged or altered \
            bundle, one for another node, one from a node this one does not trust, or one holding a change \
            that does not match its origin's signature, is refused and changes nothing. Importing a bundle \
            twice, or bundles in any order, is safe. Admin directives in the bundle (revocations, erasures) \
            are stored if their issuer is an admin here, and refused otherwise; changes of a revoked node \
            after its last accepted one are dropped, and a bundle from a revoked node is refused.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The bundle file.", completion: .file()) var file: String

    func run() throws {
        guard FileManager.default.fileExists(atPath: file) else {
            throw Failure.fail("cannot read \(file): no such file", code: 3)
        }
        let (opened, keys, _) = try node.openNodeWithKeys()
        let summary = try Failure.report { () throws(NodeError) in try opened.importBundle(from: file, keys: keys) }
        let report = summary.report
        if output.json {
            let held = HeldLines.json(
                untrustedOrigins: report.untrustedOrigins, withheldValues: report.withheldValues, notHeld: report.notHeld,
                certificatesRefused: report.certificatesRefused)
            Output.json(
                .object(held.merging([
                    "sender": .string(summary.sender.description), "changes": .integer(summary.changes),
                    "applied": .integer(report.applied), "duplicates": .integer(report.duplicates),
                    "held_back": .integer(report.heldBackCount), "discarded": .integer(report.discarded),
                    "origins_ahead": .array(report.originsAhead.sorted().map { .string($0.description) }),
                    "directives": .integer(summary.directives), "directives_stored": .integer(report.directivesStored),
                    "directives_refused": .integer(report.directivesRefused),
                    "refused_directive_issuers": .array(report.refusedIssuers.sorted().map { .string($0.description) }),
                    "revoked": .array(report.revoked.sorted().map { .string($0.description) }),
                    "refused_beyond_revocation": .integer(report.refusedBeyondRevocation),
                    "erased_records": .integer(report.erasedRecords), "dropped_for_erasure": .integer(report.droppedForErasure),
                ]) { _, new in new }))
            return
        }
        if report.applied == 0 && report.heldBackCount == 0 {
            let known = report.duplicates
            let counted = summary.changes - report.refusedBeyondRevocation
            print("nothing new: \(known == counted ? "all \(known)" : "\(known) of the \(counted)") changes were already in the replica")
        } else {
            print("applied \(report.applied) new change\(report.applied == 1 ? "" : "s") (\(report.duplicates) already known)")
        }
        if report.heldBackCount > 0 {
            print("keeping \(report.heldBackCount) change(s) whose earlier changes have not arrived; they apply when those do")
        }
        if report.discarded > 0 {
            print("warning: dropped \(report.discarded) change(s) kept from an earlier bundle that did not match their origin's signature")
        }
        let held = HeldLines.lines(
            untrustedOrigins: report.untrustedOrigins, withheldValues: report.withheldValues, notHeld: report.notHeld,
            certificatesRefused: report.certificatesRefused)
        for line in held { print(line) }
        for line in DirectiveLines.lines(report) { print(line) }
        for origin in report.originsAhead.sorted() {
            print("warning: node \(origin.short) writes timestamps more than 5 minutes ahead of this node's clock")
        }
    }
}

/// `waypost bundle recipients FILE`.
struct BundleRecipients: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recipients", abstract: "Say whom a bundle is for, without decrypting it.",
        discussion: "Any node can do this, so a bundle can be passed on to the nodes it is for.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The bundle file.", completion: .file()) var file: String

    func run() throws {
        guard FileManager.default.fileExists(atPath: file) else {
            throw Failure.fail("cannot read \(file): no such file", code: 3)
        }
        let recipients = try Failure.report { () throws(NodeError) in try Node.recipients(ofBundleAt: file) }
        // Not `node.openNode()`: that prints an error when there is no node here, and none is needed.
        let opened = try? Node.open(home: node.nodeHome)
        let peers = (try? opened?.replica.peers()) ?? []
        if output.json {
            Output.json(.array(recipients.map { .string($0.description) }))
            return
        }
        for recipient in recipients {
            let name = opened.map { Output.label(recipient, local: $0.id, peers: peers) } ?? recipient.short
            print("\(recipient)  (\(name))")
        }
    }
}
