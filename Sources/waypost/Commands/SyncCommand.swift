import ArgumentParser
import Foundation
import WaypostCore
import WaypostNet
import WaypostNode
import WaypostStore
import WaypostSync

/// `waypost sync PEER|HOST:PORT`.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Sync with one peer now, both ways, and exit once both are caught up.",
        discussion: """
            PEER is a peer's name (dialled at its address, and it must be that node) or HOST:PORT (any node \
            this one trusts). On a terminal, progress shows on stderr; the summary goes to stdout. Batches \
            are committed as they arrive, so an interrupted sync resumes where it stopped.
            Exit codes: 0 caught up, 5 refused (untrusted, wrong node, this node itself, protocol error), 8 \
            unreachable or the link dropped.
            """)

    @OptionGroup var node: NodeOptions
    @Argument(help: "A peer's name, or HOST:PORT.") var target: String
    @OptionGroup var output: JSONOption
    @OptionGroup var tuning: SyncTuning

    func run() async throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        let (address, expected, name) = try resolve(opened)
        let logger = try ProcessLogger.make(level: "error")
        let started = ContinuousClock.now
        let showProgress = !output.json && isatty(STDERR_FILENO) == 1
        let label = name ?? address.description
        let progress: SyncProgress
        let onProgress: (@Sendable (SyncProgress) -> Void)? = showProgress ? { @Sendable step in Self.show(step, label: label) } : nil
        do {
            progress = try await SyncClient.sync(
                replica: opened.replica, keys: keys, address: address, expected: expected, limits: tuning.limits, logger: logger,
                onProgress: onProgress)
        } catch {
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
            throw Failure.forSync(error)
        }
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        if output.json {
            var object: [String: JSONValue] = [:]
            object["peer"] = name.map(JSONValue.string) ?? .null
            object["node"] = .string(progress.peer.description)
            object["address"] = .string(address.description)
            object["sent"] = .integer(progress.sent)
            object["received"] = .integer(progress.received)
            object["applied"] = .integer(progress.applied)
            object["caught_up"] = .bool(progress.caughtUp)
            object["directives_stored"] = .integer(progress.directivesStored)
            object["directives_refused"] = .integer(progress.directivesRefused)
            object["refused_beyond_revocation"] = .integer(progress.refusedBeyondRevocation)
            object["erased_records"] = .integer(progress.erasedRecords)
            object["dropped_for_erasure"] = .integer(progress.droppedForErasure)
            object["milliseconds"] = .integer(Int((seconds * 1000).rounded()))
            object.merge(
                HeldLines.json(
                    untrustedOrigins: progress.untrustedOrigins, withheldValues: progress.withheldValues,
                    notHeld: progress.notHeld, certificatesRefused: progress.certificatesRefused)
            ) { _, new in new }
            Output.json(.object(object))
        } else {
            print(
                "synced with \(label) (\(progress.peer.short)): sent \(progress.sent) changes, received \(progress.received) "
                    + "(\(progress.applied) new) in \(String(format: "%.1f", seconds)) s; both caught up")
            let lines =
                DirectiveLines.lines(
                    stored: progress.directivesStored, refused: progress.directivesRefused,
                    refusedBeyondRevocation: progress.refusedBeyondRevocation)
                + DirectiveLines.erasureLines(erased: progress.erasedRecords, dropped: progress.droppedForErasure)
                + HeldLines.lines(
                    untrustedOrigins: progress.untrustedOrigins, withheldValues: progress.withheldValues,
                    notHeld: progress.notHeld, certificatesRefused: progress.certificatesRefused)
            for line in lines {
                print(line)
            }
        }
    }

    /// The address to dial, the node that must answer there, and the peer's name.
    private func resolve(_ opened: Node) throws -> (PeerAddress, NodeID?, String?) {
        if let peer = try? opened.replica.peer(named: target) {
            guard let text = peer.address else {
                throw Failure.fail(
                    "peer '\(target)' has no address; set one with 'waypost peer address \(target) HOST:PORT' or give HOST:PORT", code: 4)
            }
            return (try Failure.report { () throws(SyncError) in try PeerAddress(parsing: text) }, peer.node, peer.name)
        }
        guard target.contains(":") || target.contains(".") else {
            _ = try Failure.report { try opened.replica.peer(named: target) }
            throw Failure.fail("no peer named '\(target)'", code: 3)
        }
        return (try Failure.report { () throws(SyncError) in try PeerAddress(parsing: target) }, nil, nil)
    }

    private static func show(_ step: SyncProgress, label: String) {
        func fraction(_ done: Int, _ total: Int) -> String {
            total == 0 ? "\(done)" : "\(done)/\(total) (\(min(100, done * 100 / max(total, 1)))%)"
        }
        let line = "\rsync with \(label): sent \(fraction(step.sent, step.toSend)), received \(fraction(step.received, step.toReceive))   "
        FileHandle.standardError.write(Data(line.utf8))
    }
}
