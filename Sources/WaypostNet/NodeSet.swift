import Synchronization
import WaypostCore

/// A set of nodes several tasks add to and remove from.
final class NodeSet: Sendable {
    private let nodes = Mutex<Set<NodeID>>([])

    /// Adds `node`; returns whether it was not there yet.
    func insert(_ node: NodeID) -> Bool { nodes.withLock { $0.insert(node).inserted } }

    /// Removes `node`.
    func remove(_ node: NodeID) { nodes.withLock { _ = $0.remove(node) } }
}
