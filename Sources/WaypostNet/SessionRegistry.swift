import Synchronization
import WaypostCore
import WaypostSync

/// The connections and sessions open in a `serve` process: a slot for each accepted socket
/// (``ConnectionTable``), and at most one session per peer.
///
/// Two nodes that dial each other at the same moment get two connections. Both keep the same one, with
/// no message about it: the connection the node with the lower id dialled.
final class SessionRegistry: Sendable {
    private struct Entry {
        let initiatedHere: Bool
        let close: @Sendable () -> Void
    }

    /// A slot in the table, held by one accepted socket from its arrival until it closes.
    struct Slot: Hashable, Sendable {
        fileprivate let number: UInt64
    }

    private struct Closer {
        let address: String
        let close: @Sendable () -> Void
    }

    private struct Slots {
        var table: ConnectionTable<Slot>
        var closers: [Slot: Closer] = [:]
        var next: UInt64 = 0
    }

    private let local: NodeID
    private let sessions = Mutex<[NodeID: Entry]>([:])
    private let slots: Mutex<Slots>

    init(local: NodeID, limits: SyncLimits) {
        self.local = local
        slots = Mutex(
            Slots(
                table: ConnectionTable(
                    maximumConnections: limits.maximumConnections,
                    maximumUnauthenticatedPerAddress: limits.unauthenticatedPerAddress)))
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

    /// Takes a slot for a socket that arrived from `address`; `slot` is nil if every slot holds an
    /// accepted peer. If the socket takes the place of another not yet accepted, that one is closed
    /// through the `close` it was given, and `evicted` is its address.
    func openConnection(from address: String, close: @escaping @Sendable () -> Void) -> (slot: Slot?, evicted: String?)
    {
        let (slot, displaced) = slots.withLock { slots -> (Slot?, Closer?) in
            slots.next += 1
            let slot = Slot(number: slots.next)
            switch slots.table.open(slot, from: address) {
            case .refused:
                return (nil, nil)
            case .admitted(let evicting):
                slots.closers[slot] = Closer(address: address, close: close)
                return (slot, evicting.flatMap { slots.closers.removeValue(forKey: $0) })
            }
        }
        displaced?.close()
        return (slot, displaced?.address)
    }

    /// Marks the slot's peer as accepted: it keeps its slot until it closes. Returns false if the slot
    /// was given to another socket meanwhile (the connection is being closed).
    func authenticate(_ slot: Slot) -> Bool {
        slots.withLock { $0.table.authenticate(slot) }
    }

    /// Gives back a slot.
    func closeConnection(_ slot: Slot) {
        slots.withLock { slots in
            slots.table.close(slot)
            slots.closers[slot] = nil
        }
    }
}
