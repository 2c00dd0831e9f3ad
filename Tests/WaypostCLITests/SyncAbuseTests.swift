import Foundation
import Synchronization
import Testing
import WaypostCore
import WaypostCrypto
import WaypostNode
import WaypostSync

/// What `serve` does with peers that break the rules (issue: live sync, §3): each costs little and is
/// dropped, and nothing reaches the replica.
@Suite struct SyncAbuseTests {
    @Test func silentSocketIsDroppedAtTheHandshakeTimeout() throws {
        let sandbox = try Sandbox()
        let (post, _) = try sandbox.pair()
        let serve = try ServeProcess(post, arguments: ["--handshake-timeout", "1"])
        let silent = try RawConnection(port: serve.port)
        #expect(silent.waitForClose(within: 15), "a socket that sends nothing is closed")
    }

    @Test func garbageIsDroppedAndTheNodeStillSyncs() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        try post.succeed(["case", "add", "given_name=Amina"])
        let serve = try ServeProcess(post)
        var generator = SystemRandomNumberGenerator()
        for length in [1, 3, 42, 300] {
            let garbage = try RawConnection(port: serve.port)
            garbage.send((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            garbage.sendFrame((0..<42).map { _ in UInt8.random(in: 0...255, using: &generator) })
            #expect(garbage.waitForClose(within: 15), "garbage of \(length) bytes closes the connection")
        }
        try clinic.succeed(["sync", serve.address])
        #expect(try clinic.caseIDs().count == 1)
    }

    @Test func oversizedFrameIsRefusedBeforeItIsBuffered() throws {
        let sandbox = try Sandbox()
        let (post, _) = try sandbox.pair()
        let serve = try ServeProcess(post)
        let connection = try RawConnection(port: serve.port)
        connection.send([0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 1000))
        #expect(connection.waitForClose(within: 5))
    }

    /// Issue 15, §3: 64 idle sockets took every slot and all inbound sync was refused.
    @Test func idleStrangersCannotTakeEveryConnectionSlot() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        try post.succeed(["case", "add", "given_name=Amina"])
        let serve = try ServeProcess(post, arguments: ["--handshake-timeout", "30"])
        // As many sockets as the node has connection slots (64), from one address, sending nothing.
        let strangers = try (0..<SyncLimits.standard.maximumConnections).map { _ in try RawConnection(port: serve.port) }
        try clinic.succeed(["sync", serve.address])
        #expect(try clinic.caseIDs().count == 1)
        let cap = SyncLimits.standard.unauthenticatedPerAddress
        let oldest = strangers.dropLast(cap)
        #expect(oldest.allSatisfy { $0.waitForClose(within: 10) }, "one address holds at most \(cap) sockets before the handshake")
    }

    @Test func whenEverySlotHoldsAStrangerTheOldestGoes() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let serve = try ServeProcess(post, arguments: ["--max-connections", "2", "--handshake-timeout", "30"])
        let held = [try RawConnection(port: serve.port), try RawConnection(port: serve.port)]
        usleep(300_000)
        let third = try RawConnection(port: serve.port)
        #expect(held[0].waitForClose(within: 10), "the oldest socket makes room for the new one")
        #expect(!third.waitForClose(within: 0.5), "the new one stays until its own timeout")
        // A real peer gets in while both slots hold strangers.
        try clinic.succeed(["sync", serve.address])
        _ = held
    }

    @Test func anAcceptedPeerIsNeverDroppedForAStranger() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let serve = try ServeProcess(post, arguments: ["--max-connections", "1", "--handshake-timeout", "30"])
        var (peer, channel) = try handshake(as: clinic, with: serve)
        let accept = try #require(peer.readFrame())
        #expect(try SyncMessage(decoding: channel.receiving.open(accept)) == .accept)
        let stranger = try RawConnection(port: serve.port)
        #expect(stranger.waitForClose(within: 10), "with every slot held by accepted peers, a new socket is closed")
        #expect(!peer.waitForClose(within: 1), "the accepted peer stays connected")
    }

    @Test func otherProtocolVersionGetsANoticeAndIsClosed() throws {
        let sandbox = try Sandbox()
        let (post, _) = try sandbox.pair()
        let serve = try ServeProcess(post)
        let connection = try RawConnection(port: serve.port)
        connection.sendFrame(Handshake.magic + [0x00, 0x09] + [UInt8](repeating: 7, count: 32))
        let notice = try #require(connection.readFrame())
        #expect(notice == Handshake.versionNotice)
        #expect(connection.waitForClose(within: 5))
    }

    @Test func tamperedChannelMessageClosesTheConnectionAndAppliesNothing() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let serve = try ServeProcess(post)
        let before = try post.content()
        var (connection, channel) = try handshake(as: clinic, with: serve)
        let accept = try #require(connection.readFrame())
        #expect(try SyncMessage(decoding: channel.receiving.open(accept)) == .accept)
        // The server sends its versions next; then we send ours with one bit flipped.
        _ = try #require(connection.readFrame())
        var sealed = channel.sending.seal(SyncMessage.versions(VersionVector()).encoded)
        sealed[sealed.count / 2] ^= 0x01
        connection.sendFrame(sealed)
        #expect(connection.waitForClose(within: 5))
        #expect(try post.content() == before)
    }

    @Test func replayedChannelMessageClosesTheConnection() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let serve = try ServeProcess(post)
        var (connection, channel) = try handshake(as: clinic, with: serve)
        _ = try #require(connection.readFrame())
        let keepalive = channel.sending.seal(SyncMessage.keepalive.encoded)
        connection.sendFrame(keepalive)
        connection.sendFrame(keepalive)
        #expect(connection.waitForClose(within: 5))
    }

    @Test func idlePeerIsDroppedAfterTheIdleTimeout() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let serve = try ServeProcess(post, arguments: ["--idle-timeout", "1"])
        let (connection, _) = try handshake(as: clinic, with: serve)
        #expect(connection.waitForClose(within: 15), "a peer that goes quiet after the handshake is dropped")
    }

    /// `versions` with numbers no node can hold (issue 15, "Crash at will"): two entries of 2^63, which
    /// `serve` added up and overflowed, and one of 2^63 + 5, which it converted to `Int64` when it recorded
    /// the peer's versions. Each now closes that connection as malformed; `serve` keeps running, its
    /// replica unchanged, and syncs with the next peer.
    @Test(arguments: [[UInt64(1) << 63, UInt64(1) << 63], [(UInt64(1) << 63) + 5]])
    func versionsPastTheLargestSequenceNumberCloseTheConnectionAndServeStaysUp(entries: [UInt64]) throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        try post.succeed(["case", "add", "given_name=Amina"])
        let serve = try ServeProcess(post)
        let before = try post.content()
        var (connection, channel) = try handshake(as: clinic, with: serve)
        let accept = try #require(connection.readFrame())
        #expect(try SyncMessage(decoding: channel.receiving.open(accept)) == .accept)
        _ = try #require(connection.readFrame())  // the server's versions
        // Written by hand: this node's own encoder writes only what its decoder accepts.
        var writer = ByteWriter()
        writer.write(UInt8(0x10))
        writer.write(varint: UInt64(entries.count))
        let origins = [NodeID(bytes: [UInt8](repeating: 0xA0, count: 32)), NodeID(bytes: [UInt8](repeating: 0xB0, count: 32))]
        for (origin, sequence) in zip(origins, entries) {
            writer.write(bytes: origin.bytes)
            writer.write(varint: sequence)
        }
        connection.sendFrame(channel.sending.seal(writer.bytes))
        #expect(connection.waitForClose(within: 10), "\(serve.log)")
        #expect(serve.isRunning, "\(serve.log)")
        #expect(try post.content() == before)
        try clinic.succeed(["sync", serve.address])
        #expect(try clinic.caseIDs().count == 1)
        #expect(serve.isRunning, "\(serve.log)")
    }

    /// Issue 15, §3: frames up to 4 MiB were taken from the third frame on, before the peer was accepted.
    @Test func frameOverTheHandshakeLimitBeforeAcceptanceClosesTheConnection() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let serve = try ServeProcess(post)
        let keys = try Node.open(home: NodeHome(explicit: clinic.home)).signingKeys(passphrase: { WaypostProcess.passphrase })
        let connection = try RawConnection(port: serve.port)
        let initiator = try InitiatorHandshake(identity: keys)
        connection.sendFrame(initiator.hello)
        let (confirmation, result) = try initiator.finish(reply: try #require(connection.readFrame()))
        // A well-formed, well-sealed `versions` of 20 origins (662 bytes), sent with message 3 before the
        // node has accepted this peer: longer than the handshake allows.
        var sending = result.sending
        let origins = (0..<20).map { index in (NodeID(bytes: [UInt8](repeating: UInt8(index + 1), count: 32)), UInt64(5)) }
        let early = sending.seal(SyncMessage.versions(VersionVector(Dictionary(uniqueKeysWithValues: origins))).encoded)
        #expect(early.count > 512)
        connection.send(Self.frame(confirmation) + Self.frame(early))
        // The frame is refused on its length: the connection closes, and no `accept` ever comes.
        #expect(connection.readFrame() == nil, "the node took the frame and accepted the peer: \(serve.log)")
        #expect(connection.waitForClose(within: 10), "the connection is closed: \(serve.log)")
        #expect(eventually { serve.log.contains("before it was accepted") }, "\(serve.log)")
    }

    /// Issue 15, §3: six untrusted connections sending 4 MiB frames took a loaded node from 94 MB to 2 GB.
    @Test func strangersCannotMakeTheNodeBufferLargeFrames() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let serve = try ServeProcess(post)
        let baseline = try #require(serve.peakResidentBytes)
        // Load the node: the clinic sends it many changes, so that its replica thread is busy applying
        // batches while the strangers call.
        _ = try clinic.createCases(3000, fields: 10)
        let load = try clinic.startBackground(["sync", serve.address])
        try #require(eventually(within: 60) { (try? LiveSyncTests.changeCount(post.home + "/replica.sqlite")) ?? 0 > 0 })
        // Six strangers, each with a valid identity the node does not trust, each send message 3 and at
        // once 32 frames of 4 MiB: all before the node has decided on them.
        let strangers = try (0..<6).map { _ in
            let connection = try RawConnection(port: serve.port)
            let initiator = try InitiatorHandshake(identity: try SigningKeyPair.generate())
            connection.sendFrame(initiator.hello)
            let (confirmation, _) = try initiator.finish(reply: try #require(connection.readFrame()))
            return (connection, confirmation)
        }
        let frame = Self.frame([UInt8](repeating: 0x5A, count: SyncLimits.standard.maximumFrame - 64))
        let pushed = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: strangers.count) { index in
            let (connection, confirmation) = strangers[index]
            connection.sendFrame(confirmation)
            let count = connection.send(frame, times: 32, within: 20)
            pushed.withLock { $0 += count }
        }
        #expect(strangers.allSatisfy { $0.0.waitForClose(within: 10) }, "every stranger is refused and closed")
        let peak = try #require(serve.peakResidentBytes)
        let total = pushed.withLock { $0 }
        #expect(peak - baseline < 128 << 20, "the node held \((peak - baseline) >> 20) MiB more at its peak; \(total >> 20) MiB were sent")
        _ = load.wait()
    }

    /// Issue 15, §3: the session buffered up to 256 frames a peer sent, whether it read them or not.
    @Test func anAcceptedPeerCannotMakeTheNodeBufferWhatItDoesNotRead() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        // Enough to send that the node's writes stall once this peer stops reading: it reads no frame then.
        _ = try post.createCases(2000, fields: 10, valueLength: 200)
        let serve = try ServeProcess(post, arguments: ["--idle-timeout", "600"])
        let baseline = try #require(serve.peakResidentBytes)
        var (connection, channel) = try handshake(as: clinic, with: serve, receiveBuffer: 4096)
        let accept = try #require(connection.readFrame())
        #expect(try SyncMessage(decoding: channel.receiving.open(accept)) == .accept)
        _ = try #require(connection.readFrame())  // the node's versions
        connection.sendFrame(channel.sending.seal(SyncMessage.versions(VersionVector()).encoded))
        // The peer now reads nothing more, and sends 64 frames of 4 MiB.
        let frame = Self.frame([UInt8](repeating: 0x5A, count: SyncLimits.standard.maximumFrame - 64))
        let pushed = connection.send(frame, times: 64, within: 20)
        let peak = try #require(serve.peakResidentBytes)
        #expect(pushed < 64 << 20, "the node stops reading: it took \(pushed >> 20) MiB of 256")
        #expect(peak - baseline < 128 << 20, "the node held \((peak - baseline) >> 20) MiB more at its peak")
    }

    @Test func aNodeRefusesItselfAtTheHandshake() throws {
        let sandbox = try Sandbox()
        let (post, _) = try sandbox.pair()
        let serve = try ServeProcess(post)
        let before = try post.snapshot()
        // An initiator with the post's own identity that does not check whom it reached.
        var (connection, channel) = try handshake(as: post, with: serve)
        let answer = try #require(connection.readFrame())
        guard case .refuse(let refusal) = try SyncMessage(decoding: channel.receiving.open(answer)) else {
            Issue.record("the node accepted itself")
            return
        }
        #expect(refusal.message.contains("itself"), "\(refusal.message)")
        #expect(connection.waitForClose(within: 10))
        #expect(try post.snapshot() == before)
    }

    static func frame(_ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + payload
    }

    /// Opens a connection to `serve` and completes the handshake as `node`, by hand.
    func handshake(as node: TestNode, with serve: ServeProcess, receiveBuffer: Int? = nil) throws -> (RawConnection, HandshakeResult) {
        let keys = try Node.open(home: NodeHome(explicit: node.home)).signingKeys(passphrase: { WaypostProcess.passphrase })
        let connection = try RawConnection(port: serve.port, receiveBuffer: receiveBuffer)
        let initiator = try InitiatorHandshake(identity: keys)
        connection.sendFrame(initiator.hello)
        let reply = try #require(connection.readFrame())
        let (confirmation, result) = try initiator.finish(reply: reply)
        connection.sendFrame(confirmation)
        return (connection, result)
    }
}
