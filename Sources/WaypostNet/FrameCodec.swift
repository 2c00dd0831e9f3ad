import NIOCore
import WaypostSync

/// Splits a TCP byte stream into frames: a 4-byte big-endian length, then that many bytes
/// (`Protocol/sync.md` §1), under the connection's ``FrameAllowance``.
///
/// Until the session accepts the peer (``PeerAccepted``), no frame longer than the handshake's 512 bytes
/// is taken: one that announces more closes the connection before its bytes are buffered. On the
/// initiator's side, after the second frame nothing more is read until the session has handled it. While
/// the allowance says to wait, and while NIO's inbound buffer behind this handler is full (the session is
/// busy), this handler does not ask the socket for more (it holds back `read()`), so what a connection
/// may make the node buffer is bounded.
final class FrameDecoder: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What the session sends down the pipeline (`triggerUserOutboundEvent`) once it has accepted the
    /// peer: frames up to the maximum from then on.
    struct PeerAccepted: Sendable {}

    private var allowance: FrameAllowance
    /// Bytes received and not yet cut into frames: at most one frame's length and what one read brought.
    private var buffered: ByteBuffer? = nil
    /// Whether `read()` was asked for while the allowance said to wait.
    private var readPending = false
    /// Why the connection was closed here, once it was.
    private var failure: FrameTooLarge? = nil
    private var failed: Bool { failure != nil }

    init(allowance: FrameAllowance) { self.allowance = allowance }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var incoming = unwrapInboundIn(data)
        if buffered == nil {
            buffered = incoming
        } else {
            buffered!.writeBuffer(&incoming)
        }
        deliver(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A frame cut short by the end of the connection is dropped: the session sees the connection close.
        deliver(context: context)
        buffered = nil
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if case .wait = allowance.next {
            readPending = true
        } else {
            context.read()
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is PeerAccepted else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        if let failure {
            // Too late: the peer broke the limit before the session accepted it, and the connection is closing.
            promise?.fail(failure)
            return
        }
        allowance.peerAccepted()
        promise?.succeed(())
        deliver(context: context)
        if readPending, !failed {
            readPending = false
            context.read()
        }
    }

    /// Passes on every whole frame the allowance lets through.
    private func deliver(context: ChannelHandlerContext) {
        while !failed, var buffer = buffered, case .read(let limit) = allowance.next {
            guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { break }
            guard Int(length) <= limit else {
                fail(context: context, FrameTooLarge(length: Int(length), limit: limit))
                return
            }
            guard buffer.readableBytes >= 4 + Int(length) else { break }
            buffer.moveReaderIndex(forwardBy: 4)
            let frame = buffer.readSlice(length: Int(length))!
            // Drop the reference before passing the frame on, so that the next write does not copy.
            buffered = buffer.readableBytes == 0 ? nil : buffer
            allowance.frameRead()
            context.fireChannelRead(wrapInboundOut(frame))
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: FrameTooLarge) {
        failure = error
        buffered = nil
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}

/// A peer announced a frame longer than allowed.
struct FrameTooLarge: Error, CustomStringConvertible {
    let length: Int
    let limit: Int
    var description: String {
        limit == SyncLimits.handshakeFrame
            ? "the peer announced a frame of \(length) bytes before it was accepted; the limit until then is \(limit)"
            : "the peer announced a frame of \(length) bytes; the limit is \(limit)"
    }
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
    ///
    /// The wrapper buffers at most ``SyncLimits/bufferedFrames`` frames the session has not taken before
    /// it stops reading from the socket (NIO's back pressure: it holds back `read()`).
    static func configure(_ channel: any Channel, side: FrameAllowance.Side, limits: SyncLimits) -> EventLoopFuture<
        Connection
    > {
        channel.eventLoop.makeCompletedFuture {
            let handlers = channel.pipeline.syncOperations
            try handlers.addHandler(IdleStateHandler(readTimeout: .milliseconds(Int64(limits.idleTimeout * 1000))))
            try handlers.addHandler(IdleCloser())
            try handlers.addHandler(
                FrameDecoder(allowance: FrameAllowance(side: side, maximumFrame: limits.maximumFrame)))
            try handlers.addHandler(MessageToByteHandler(FrameEncoder()))
            let buffered = max(1, limits.bufferedFrames)
            return try Connection(
                wrappingChannelSynchronously: channel,
                configuration: .init(
                    backPressureStrategy: .init(lowWatermark: max(0, buffered - 1), highWatermark: buffered)))
        }
    }
}
