/// The connections a serving node has accepted, and which of them have not yet been accepted as a peer:
/// who gets a slot when a socket arrives (`Protocol/sync.md` §6). No sockets here, only the rule.
///
/// Every accepted socket takes a slot, up to ``maximumConnections``. Until its peer is accepted (the
/// handshake done, the peer trusted and admitted) a connection is **unauthenticated**, and a stranger
/// can open such connections without proving anything, so:
///
/// - one address holds at most ``maximumUnauthenticatedPerAddress`` unauthenticated connections: a new
///   one from that address takes the place of its oldest;
/// - when every slot is taken, a new socket takes the place of the oldest unauthenticated connection,
///   from whatever address; only when every slot holds an authenticated peer is the new socket refused.
///
/// An authenticated connection is never dropped to make room, so strangers, however many sockets they
/// open and however often, cannot keep the node's peers out: a peer's socket gets a slot, and keeps it
/// once its handshake is done.
package struct ConnectionTable<Connection: Hashable & Sendable>: Sendable {
    /// What to do with a new socket.
    package enum Admission: Hashable, Sendable {
        /// Keep it; close `evicting` first, if there is one (it has lost its slot).
        case admitted(evicting: Connection?)
        /// Close it: every slot holds an authenticated peer.
        case refused
    }

    private struct Entry: Sendable {
        let address: String
        var authenticated: Bool
        /// When it arrived, counted in sockets: the smallest is the oldest.
        let arrival: UInt64
    }

    /// The most connections held at once.
    package let maximumConnections: Int
    /// The most unauthenticated connections held at once from one address.
    package let maximumUnauthenticatedPerAddress: Int
    private var entries: [Connection: Entry] = [:]
    private var arrivals: UInt64 = 0

    /// An empty table. Both maxima are at least 1.
    package init(maximumConnections: Int, maximumUnauthenticatedPerAddress: Int) {
        self.maximumConnections = max(1, maximumConnections)
        self.maximumUnauthenticatedPerAddress = max(1, maximumUnauthenticatedPerAddress)
    }

    /// The connections held.
    package var count: Int { entries.count }

    /// The connections held whose peer is not accepted yet.
    package var unauthenticatedCount: Int { entries.values.count(where: { !$0.authenticated }) }

    /// Whether `connection` holds a slot.
    package func contains(_ connection: Connection) -> Bool { entries[connection] != nil }

    /// Whether `connection` holds a slot and its peer has been accepted.
    package func isAuthenticated(_ connection: Connection) -> Bool { entries[connection]?.authenticated == true }

    /// Decides on a socket that just arrived from `address` (an IP address), and takes its slot if it
    /// is admitted.
    package mutating func open(_ connection: Connection, from address: String) -> Admission {
        precondition(entries[connection] == nil, "a connection opened twice")
        var evicting: Connection? = nil
        let fromAddress = entries.filter { !$0.value.authenticated && $0.value.address == address }
        if fromAddress.count >= maximumUnauthenticatedPerAddress {
            evicting = Self.oldest(fromAddress)
        } else if entries.count >= maximumConnections {
            guard let oldest = Self.oldest(entries.filter { !$0.value.authenticated }) else { return .refused }
            evicting = oldest
        }
        if let evicting { entries[evicting] = nil }
        arrivals += 1
        entries[connection] = Entry(address: address, authenticated: false, arrival: arrivals)
        return .admitted(evicting: evicting)
    }

    /// Marks `connection`'s peer as accepted; from now on it keeps its slot until it closes. Returns
    /// false if the connection no longer holds a slot (it was dropped to make room).
    package mutating func authenticate(_ connection: Connection) -> Bool {
        guard entries[connection] != nil else { return false }
        entries[connection]!.authenticated = true
        return true
    }

    /// Gives `connection`'s slot back (nothing if it holds none).
    package mutating func close(_ connection: Connection) {
        entries[connection] = nil
    }

    private static func oldest(_ candidates: [Connection: Entry]) -> Connection? {
        candidates.min { $0.value.arrival < $1.value.arrival }?.key
    }
}
