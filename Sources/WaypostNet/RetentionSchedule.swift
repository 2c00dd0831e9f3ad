public import Foundation
import Logging
import WaypostCrypto
public import WaypostNode
import WaypostStore

/// Applies a node's retention policy while it serves (``Node/applyRetention(keys:now:)``): once at start,
/// then every ``interval``, reading the policy afresh each time so that one set or cleared while serving
/// takes effect at the next run.
///
/// Each run logs one line with the number of cases erased (never their ids, nor any value). A run that
/// fails logs the error and the schedule goes on: retention never stops `serve`.
public struct RetentionSchedule: Sendable {
    /// The default interval between runs: 24 hours.
    public static let daily: TimeInterval = 86_400

    /// The node whose policy to apply.
    public let node: Node
    /// Seconds between two runs; ``daily`` except in tests.
    public let interval: TimeInterval

    /// Makes a schedule; `interval` is at least 0.1 s.
    public init(node: Node, interval: TimeInterval = daily) {
        self.node = node
        self.interval = max(0.1, interval)
    }

    /// Runs the schedule until cancelled, each run on `worker`, so that it never blocks an event loop and
    /// never runs at the same time as a batch being applied.
    func run(worker: ReplicaWorker, keys: SigningKeyPair, logger: Logger) async {
        let node = self.node
        while !Task.isCancelled {
            do {
                let (policy, erased) = try await worker.run {
                    (try node.replica.retentionPolicy(), try node.applyRetention(keys: keys))
                }
                if let policy {
                    logger.info(
                        "retention applied",
                        metadata: ["erased": "\(erased.count)", "closed_for_days": "\(policy.closedForDays)"])
                } else {
                    logger.debug("retention: no policy set")
                }
            } catch is CancellationError {
                return
            } catch let error as NodeError {
                logger.error("retention failed", metadata: ["error": "\(error.message)"])
            } catch let error as StoreError {
                logger.error("retention failed", metadata: ["error": "\(error.message)"])
            } catch {
                // The worker's pool stopped: `serve` is shutting down.
                if Task.isCancelled { return }
                logger.error("retention failed", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
            } catch {
                return
            }
        }
    }
}
