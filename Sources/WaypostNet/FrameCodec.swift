import NIOCore
import WaypostSync

/// Splits a TCP byte stream into frames: a 4-byte big-endian length, then that many bytes
/// (`Protocol/sync.md` §1).
///
/// The first two frames are handshake messages, so they may be at most ``handshakeFrameLimit`` bytes; a
/// peer that sends more, or a later frame longer than the connection's maximum, gets the connection
/// closed before the bytes are buffered.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// The largest handshake frame.
    static let handshakeFrameLimit = 512

    let maximumFrame: Int
    private var framesRead = 0

    init(maximumFrame: Int) { self.maximumFrame = maximumFrame }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        let limit = framesRead < 2 ? Self.handshakeFrameLimit : maximumFrame
        guard Int(length) <= limit else { throw FrameTooLarge(length: Int(length), limit: limit) }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        let frame = buffer.readSlice(length: Int(length))!
        framesRead += 1
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A frame cut off by the end of the connection is dropped: the session sees the connection close.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// A peer announced a frame longer than allowed.
struct FrameTooLarge: Error, CustomStringConvertible {
    let length: Int
    let limit: Int
    var description: String { "the peer announced a frame of \(length) bytes; the limit is \(limit)" }
}

/// Puts the 4-byte length before each outgoing frame.
struct FrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = ByteBuffer

    func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        out.writeInteger(UInt32(data.readableBytes))
        out.writeImmutableBuffer(data)
    }
}

/// Closes a connection on which nothing arrived for the idle timeout (fed by NIO's `IdleStateHandler`).
final class IdleCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// The handlers of every sync connection, and the async wrapper the session reads and writes through.
enum SyncPipeline {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Adds framing and the idle timeout to `channel` and wraps it. Runs on the channel's event loop.
    static func configure(_ channel: any Channel, limits: SyncLimits) -> EventLoopFuture<Connection> {
        channel.eventLoop.makeCompletedFuture {
            let handlers = channel.pipeline.syncOperations
            try handlers.addHandler(IdleStateHandler(readTimeout: .milliseconds(Int64(limits.idleTimeout * 1000))))
            try handlers.addHandler(IdleCloser())
            try handlers.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrame: limits.maximumFrame)))
            try handlers.addHandler(MessageToByteHandler(FrameEncoder()))
            return try Connection(wrappingChannelSynchronously: channel)
        }
    }
}
