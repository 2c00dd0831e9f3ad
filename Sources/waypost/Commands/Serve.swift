import ArgumentParser
import Dispatch
import Foundation
import Logging
import WaypostNet
import WaypostNode
import WaypostSync

/// `waypost serve`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the node: listen for peers, dial the peers with an address, and keep them in sync.",
        discussion: """
            Every connection is mutually authenticated with the nodes' identities and encrypted with keys \
            made for it alone; a node this one does not trust is refused before any data moves. Changes \
            stream both ways in batches, each applied in one transaction and acknowledged, so a link that \
            drops loses at most the batches in flight. Peers with an address ('waypost peer add NAME ID \
            --address HOST:PORT') are dialled, and dialled again with backoff while they are unreachable.

            Applies the retention policy ('waypost retention') at start and then every 24 hours, logging \
            how many cases each run erased.

            Prints 'listening on HOST:PORT' on stdout; logs one line per connection, sync and failure on \
            stderr (no personal data). Stops cleanly on Ctrl-C or SIGTERM: a batch being applied is \
            committed or rolled back whole.

            Only one 'serve' runs on a home at a time: a second one exits at once naming the process \
            that holds the home's 'serve.lock'.
            """)

    @OptionGroup var node: NodeOptions
    @Option(help: "Where to listen, HOST:PORT (port 0 picks a free one).")
    var listen = "0.0.0.0:\(PeerAddress.defaultPort)"
    @OptionGroup var tuning: SyncTuning
    @Option(help: ArgumentHelp(
        "Most connections open at once.",
        discussion: "When all are taken, a new socket takes the place of the oldest one whose peer is not yet accepted; when every one holds an accepted peer, it is closed at once."))
    var maxConnections = SyncLimits.standard.maximumConnections
    @Flag(help: ArgumentHelp(
        "Announce this node on the local network and find trusted nodes there.",
        discussion: "Off by default: announcing a node can itself be a risk. An announcement holds only the port and a salted tag that nodes knowing this node's id can recognise."))
    var discover = false
    @Option(help: "The multicast group and UDP port for --discover.")
    var discoveryGroup = Announcement.defaultGroup.description
    @Option(help: "The IPv4 address of the interface --discover uses (default: the system's choice).")
    var discoveryInterface: String?
    @Option(help: "Log level: debug, info, warning or error.") var logLevel = "info"
    @Option(help: ArgumentHelp("Seconds between two retention runs (for tests; default a day).", visibility: .hidden))
    var retentionInterval = RetentionSchedule.daily

    func run() async throws {
        let (opened, keys, _) = try node.openNodeWithKeys()
        // One serve per home: two would dial the same peers and answer for one node at two addresses.
        let lock = try Failure.report { () throws(NodeError) in try ServeLock.acquire(home: node.nodeHome) }
        defer { withExtendedLifetime(lock) {} }
        let address = try Failure.report { () throws(SyncError) in try PeerAddress(parsing: listen) }
        let logger = try ProcessLogger.make(level: logLevel)
        var limits = tuning.limits
        limits.maximumConnections = max(1, maxConnections)
        var service = SyncService(replica: opened.replica, keys: keys, listen: address, limits: limits, logger: logger)
        service.retention = RetentionSchedule(node: opened, interval: retentionInterval)
        if discover {
            let group = try Failure.report { () throws(SyncError) in try PeerAddress(parsing: discoveryGroup) }
            service.discovery = DiscoveryOptions(group: group, interface: discoveryInterface)
        }
        let task = Task {
            try await service.run(onListening: { bound in
                FileHandle.standardOutput.write(Data("listening on \(bound)\n".utf8))
            })
        }
        let signals = StopSignals { task.cancel() }
        defer { signals.cancel() }
        do {
            try await task.value
            logger.info("stopped")
        } catch is CancellationError {
            logger.info("stopped")
        } catch {
            throw Failure.forSync(error)
        }
    }
}

/// The connection limits `serve` and `sync` share (`Protocol/sync.md` §6).
struct SyncTuning: ParsableArguments {
    @Option(help: "Seconds a new connection has to finish its handshake.") var handshakeTimeout = SyncLimits.standard.handshakeTimeout
    @Option(help: "Seconds of silence before a connection is dropped.") var idleTimeout = SyncLimits.standard.idleTimeout
    @Option(help: ArgumentHelp("Changes per batch.", visibility: .hidden)) var batchChanges = SyncLimits.standard.changesPerBatch

    var limits: SyncLimits {
        var limits = SyncLimits.standard
        limits.handshakeTimeout = max(0.1, handshakeTimeout)
        limits.idleTimeout = max(0.5, idleTimeout)
        limits.changesPerBatch = max(1, batchChanges)
        return limits
    }
}

/// Calls `stop` once on SIGINT or SIGTERM, instead of the default of dying at once.
final class StopSignals {
    private let sources: [any DispatchSourceSignal]

    init(stop: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: stop)
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}

/// The process's logger: one line per event on stderr.
enum ProcessLogger {
    static func make(level: String) throws -> Logger {
        guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
            throw Failure.fail("'\(level)' is not a log level; use debug, info, warning or error", code: 2)
        }
        var logger = Logger(label: "waypost", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = parsed
        return logger
    }
}
