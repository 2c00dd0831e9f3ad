import NIOCore
import NIOEmbedded
import Testing
import WaypostSync

@testable import WaypostNet

/// The frame decoder of every sync connection, without a socket: the handshake's limit until the peer is
/// accepted, and no reading while it must wait (`Protocol/sync.md` §1).
@Suite struct FrameDecoderTests {
    @Test func theResponderTakesHandshakeFramesAndClosesOnALongerOneBeforeAcceptance() throws {
        let (channel, _) = try Self.channel(side: .responder)
        try channel.writeInbound(Self.frame(count: 42) + Self.frame(count: 112) + Self.frame(count: 30))
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 42)
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 112)
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 30, "a refuse before accept is allowed")
        // A frame of 513 bytes, announced before the peer is accepted: refused on its length alone.
        #expect(throws: FrameTooLarge.self) { try channel.writeInbound(Self.header(513)) }
        #expect(!channel.isActive, "the connection is closed")
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
    }

    @Test func onceAcceptedFramesMayBeAsLongAsTheMaximum() throws {
        let (channel, _) = try Self.channel(side: .responder, maximumFrame: 4096)
        try channel.writeInbound(Self.frame(count: 42))
        _ = try channel.readInbound(as: ByteBuffer.self)
        channel.triggerUserOutboundEvent(FrameDecoder.PeerAccepted(), promise: nil)
        try channel.writeInbound(Self.frame(count: 4096))
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 4096)
        #expect(throws: FrameTooLarge.self) { try channel.writeInbound(Self.header(4097)) }
        #expect(!channel.isActive)
    }

    @Test func theInitiatorWaitsAfterTwoFramesUntilItsSessionAccepts() throws {
        let (channel, reads) = try Self.channel(side: .initiator)
        // Message 2, `accept`, and the responder's `versions` (longer than 512 bytes) in one read.
        try channel.writeInbound(Self.frame(count: 154) + Self.frame(count: 17) + Self.frame(count: 700))
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 154)
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 17)
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil, "the third frame waits")
        #expect(channel.isActive, "and is not judged by the handshake's limit")
        channel.read()
        #expect(reads.count == 0, "nothing more is read from the socket meanwhile")
        channel.triggerUserOutboundEvent(FrameDecoder.PeerAccepted(), promise: nil)
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 700)
        #expect(reads.count == 1, "the read asked for while waiting goes out")
        channel.read()
        #expect(reads.count == 2)
    }

    @Test func framesSplitAcrossReadsAreJoinedAndACutFrameIsDropped() throws {
        let (channel, _) = try Self.channel(side: .responder)
        let joined = Self.frame(count: 300) + Self.frame(count: 5)
        let bytes = joined.getBytes(at: joined.readerIndex, length: joined.readableBytes)!
        for byte in bytes { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 300)
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 5)
        var cut = Self.frame(count: 100)
        try channel.writeInbound(cut.readSlice(length: 50)!)
        _ = try channel.close().wait()
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
    }

    // MARK: Helpers

    /// An active channel with the decoder, and a counter of the reads that pass it towards the socket.
    static func channel(side: FrameAllowance.Side, maximumFrame: Int = 4 << 20) throws -> (EmbeddedChannel, ReadCounter)
    {
        let channel = EmbeddedChannel()
        let reads = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(reads)
        try channel.pipeline.syncOperations.addHandler(
            FrameDecoder(allowance: FrameAllowance(side: side, maximumFrame: maximumFrame)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7850)).wait()
        return (channel, reads)
    }

    static func header(_ length: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(length))
        return buffer
    }

    static func frame(count: Int) -> ByteBuffer {
        var buffer = header(count)
        buffer.writeRepeatingByte(0x5A, count: count)
        return buffer
    }
}

/// Counts the `read()` calls that reach it on their way to the socket.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = NIOAny
    private(set) var count = 0

    func read(context: ChannelHandlerContext) {
        count += 1
        context.read()
    }
}

extension ByteBuffer {
    static func + (lhs: ByteBuffer, rhs: ByteBuffer) -> ByteBuffer {
        var joined = lhs
        var rhs = rhs
        joined.writeBuffer(&rhs)
        return joined
    }
}
