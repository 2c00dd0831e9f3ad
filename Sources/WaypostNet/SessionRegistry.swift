import Synchronization
import WaypostCore

/// The sessions open in a `serve` process, at most one per peer.
///
/// Two nodes that dial each other at the same moment get two connections. Both keep the same one, with
/// no message about it: the connection the node with the lower id dialled.
final class SessionRegistry: Sendable {
    private struct Entry {
        let initiatedHere: Bool
        let close: @Sendable () -> Void
    }

    private let local: NodeID
    private let sessions = Mutex<[NodeID: Entry]>([:])
    private let connections = Mutex(0)
    private let maximumConnections: Int

    init(local: NodeID, maximumConnections: Int) {
        self.local = local
        self.maximumConnections = maximumConnections
    }

    /// Whether a session with `peer` is open.
    func isConnected(_ peer: NodeID) -> Bool { sessions.withLock { $0[peer] != nil } }

    /// Admits a session with `peer` that just finished its handshake, or says to close it because
    /// another one with that peer is kept. When the new one wins, the old one is closed through its
    /// `close`.
    func admit(_ peer: NodeID, session initiatedHere: Bool, close: @escaping @Sendable () -> Void) -> Bool {
        let preferHere = local < peer
        let (admitted, displaced) = sessions.withLock { sessions -> (Bool, Entry?) in
            guard let existing = sessions[peer] else {
                sessions[peer] = Entry(initiatedHere: initiatedHere, close: close)
                return (true, nil)
            }
            guard initiatedHere == preferHere, existing.initiatedHere != preferHere else { return (false, nil) }
            sessions[peer] = Entry(initiatedHere: initiatedHere, close: close)
            return (true, existing)
        }
        displaced?.close()
        return admitted
    }

    /// Forgets the session with `peer` that `initiatedHere` describes, if it is the registered one.
    func release(_ peer: NodeID, session initiatedHere: Bool) {
        sessions.withLock { sessions in
            if sessions[peer]?.initiatedHere == initiatedHere { sessions[peer] = nil }
        }
    }

    /// Takes one of the connection slots, or returns false if all are taken.
    func openConnection() -> Bool {
        connections.withLock { count in
            guard count < maximumConnections else { return false }
            count += 1
            return true
        }
    }

    /// Gives back a connection slot.
    func closeConnection() { connections.withLock { $0 -= 1 } }
}
