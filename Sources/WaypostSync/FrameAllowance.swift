/// How long the next frame from the peer may be, and whether to read it yet: the frame rules of
/// `Protocol/sync.md` §1 for one connection, with no sockets.
///
/// Until this side has accepted the peer, every frame it takes is at most
/// ``SyncLimits/handshakeFrame`` (512) bytes, so a node that has not been accepted cannot make this one
/// buffer more than that per frame, however many frames it sends; only then may a frame be as long as
/// the maximum frame. The peer counts as accepted:
///
/// - **by the responder** once it has decided to go on with the initiator (trusted and admitted) and is
///   about to send `accept`: the initiator sends nothing longer before it has received `accept`;
/// - **by the initiator** once it has opened `accept`. The responder sends its `versions` right after
///   `accept`, so both may arrive together: the initiator reads nothing beyond the second frame (the
///   reply and `accept` or `refuse`) until it has handled that second frame, and so never judges the
///   third by the handshake's limit, nor takes it before the responder is accepted.
package struct FrameAllowance: Sendable, Hashable {
    /// What to do with the next frame.
    package enum Next: Sendable, Hashable {
        /// Read it, if its length is at most `limit`; close the connection if it announces more.
        case read(limit: Int)
        /// Read nothing more for now (and stop reading from the socket): the session has not yet
        /// handled what came.
        case wait
    }

    /// Which side of the connection this node is.
    package enum Side: Sendable, Hashable {
        case initiator
        case responder
    }

    private let side: Side
    private let maximumFrame: Int
    private var received = 0
    private var accepted = false

    /// The allowance of a new connection, on `side`, whose frames may be up to `maximumFrame` once the
    /// peer is accepted.
    package init(side: Side, maximumFrame: Int) {
        self.side = side
        self.maximumFrame = maximumFrame
    }

    /// What to do with the next frame.
    package var next: Next {
        if accepted { return .read(limit: maximumFrame) }
        switch side {
        case .responder: return .read(limit: SyncLimits.handshakeFrame)
        case .initiator: return received < 2 ? .read(limit: SyncLimits.handshakeFrame) : .wait
        }
    }

    /// Whether the peer has been accepted.
    package var isAccepted: Bool { accepted }

    /// Counts a frame read.
    package mutating func frameRead() { received += 1 }

    /// The session accepted the peer: frames up to the maximum from now on.
    package mutating func peerAccepted() { accepted = true }
}
