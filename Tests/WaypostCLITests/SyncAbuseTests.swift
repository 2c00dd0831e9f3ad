import Foundation
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

    @Test func connectionsBeyondTheLimitAreClosedAtOnce() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let serve = try ServeProcess(post, arguments: ["--max-connections", "2", "--handshake-timeout", "30"])
        let held = [try RawConnection(port: serve.port), try RawConnection(port: serve.port)]
        usleep(300_000)
        let third = try RawConnection(port: serve.port)
        #expect(third.waitForClose(within: 5), "the third socket is closed long before the handshake timeout")
        #expect(!held[0].waitForClose(within: 0.5), "the first two stay open until their own timeout")
        _ = held
        // Once they go, a real peer gets in.
        held.forEach { $0.closeNow() }
        var last: WaypostResult? = nil
        #expect(try eventually(within: 10) {
            last = try clinic.run(["sync", serve.address])
            return last?.status == 0
        }, "\(String(describing: last)); \(serve.log)")
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

    /// Opens a connection to `serve` and completes the handshake as `node`, by hand.
    func handshake(as node: TestNode, with serve: ServeProcess) throws -> (RawConnection, HandshakeResult) {
        let keys = try Node.open(home: NodeHome(explicit: node.home)).signingKeys(passphrase: { WaypostProcess.passphrase })
        let connection = try RawConnection(port: serve.port)
        let initiator = try InitiatorHandshake(identity: keys)
        connection.sendFrame(initiator.hello)
        let reply = try #require(connection.readFrame())
        let (confirmation, result) = try initiator.finish(reply: reply)
        connection.sendFrame(confirmation)
        return (connection, result)
    }
}
