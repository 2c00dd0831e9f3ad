import Testing
import WaypostSync

/// How long a frame may be before and after the peer is accepted (`Protocol/sync.md` §1).
@Suite struct FrameAllowanceTests {
    @Test func theResponderKeepsTheHandshakeLimitUntilItAccepts() {
        var frames = FrameAllowance(side: .responder, maximumFrame: 4 << 20)
        for _ in 0..<5 {
            #expect(frames.next == .read(limit: 512))
            frames.frameRead()
        }
        // Not the count of frames but the decision lifts it.
        frames.peerAccepted()
        #expect(frames.next == .read(limit: 4 << 20))
        #expect(frames.isAccepted)
    }

    @Test func theInitiatorReadsTwoHandshakeFramesThenWaitsForItsSession() {
        var frames = FrameAllowance(side: .initiator, maximumFrame: 4 << 20)
        #expect(frames.next == .read(limit: 512))  // message 2
        frames.frameRead()
        #expect(frames.next == .read(limit: 512))  // accept or refuse
        frames.frameRead()
        // The responder's versions may follow at once: it is neither refused by the handshake's limit
        // nor read before the session has opened accept.
        #expect(frames.next == .wait)
        frames.peerAccepted()
        #expect(frames.next == .read(limit: 4 << 20))
    }

    @Test func theHandshakeLimitIsTheProtocols() {
        #expect(SyncLimits.handshakeFrame == 512)
    }
}
