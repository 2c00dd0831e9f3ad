import Foundation
import Logging
import NIOCore
import WaypostBundle
import WaypostCore
import WaypostCrypto
import WaypostStore
import WaypostSync
import WaypostTrust

/// One sync connection, from handshake to close (`Protocol/sync.md` §3–§5).
///
/// A session is a single loop over events: frames from the peer, a tick every 200 ms, and the
/// connection closing. It alone writes to the connection, so messages leave in nonce order; replica
/// work runs on the ``ReplicaWorker``.
struct SyncSession: Sendable {
    /// Which end of the connection this node is.
    enum Side: Sendable {
        /// This node dialled; when `expected` is set, the other side must be that node.
        case initiator(expected: NodeID?)
        /// The other node dialled.
        case responder
    }

    /// When the session ends by itself.
    enum Mode: Sendable {
        /// Once both sides are caught up (`waypost sync`).
        case untilCaughtUp
        /// Only when the connection closes or the task is cancelled (`waypost serve`).
        case live
    }

    let context: SyncContext
    let side: Side
    let mode: Mode
    /// Where the other end is, for logs and `status`.
    let address: String
    /// Called on every step, for progress on a terminal.
    var onProgress: (@Sendable (SyncProgress) -> Void)? = nil
    /// The connection's slot in `serve`'s table (``SessionRegistry``), for an accepted socket.
    var slot: SessionRegistry.Slot? = nil

    private enum Event: Sendable {
        case frame(ByteBuffer)
        case closed((any Error)?)
        case tick
    }

    /// Runs the session over `connection` and closes it.
    ///
    /// - Throws: ``SyncError`` for every way the handshake or the sync can fail; batches committed
    ///   before the failure stay committed.
    func run(_ connection: SyncPipeline.Connection) async throws -> SyncProgress {
        let channel = connection.channel
        let handshakeDeadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(context.limits.handshakeTimeout * 1000))) {
            channel.close(promise: nil)
        }
        do {
            return try await connection.executeThenClose { inbound, outbound in
                let (events, continuation) = AsyncStream.makeStream(of: Event.self)
                // The loop gives one of these back for every frame it takes. The reader takes the next frame
                // from NIO only then, so this stream holds at most one frame; the frames behind it stay in
                // NIO's bounded buffer, and then in the socket (`SyncLimits.bufferedFrames`).
                let (taken, taking) = AsyncStream.makeStream(of: Void.self)
                return try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        var credits = taken.makeAsyncIterator()
                        do {
                            for try await frame in inbound {
                                continuation.yield(.frame(frame))
                                guard await credits.next() != nil else { break }
                            }
                            continuation.yield(.closed(nil))
                        } catch {
                            continuation.yield(.closed(error))
                        }
                        continuation.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: .milliseconds(200))
                            continuation.yield(.tick)
                        }
                    }
                    var loop = Loop(
                        session: self, events: events.makeAsyncIterator(), taking: taking, outbound: outbound,
                        channel: channel, handshakeDeadline: handshakeDeadline)
                    do {
                        let progress = try await loop.run()
                        loop.release()
                        channel.close(promise: nil)
                        taking.finish()
                        group.cancelAll()
                        return progress
                    } catch {
                        loop.release()
                        channel.close(promise: nil)
                        taking.finish()
                        group.cancelAll()
                        throw error
                    }
                }
            }
        } catch let error as SyncError {
            throw error
        } catch let error as StoreError {
            throw error  // a full disk or a damaged replica is this node's failure, not the link's
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SyncError(.connection, "the connection failed: \(error)")
        }
    }

    /// The session's state, owned by the one task that runs it.
    private struct Loop {
        let session: SyncSession
        var events: AsyncStream<Event>.Iterator
        /// Tells the reader that a frame was taken (see ``SyncSession/run(_:)``).
        let taking: AsyncStream<Void>.Continuation
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let channel: any Channel
        let handshakeDeadline: Scheduled<Void>

        var context: SyncContext { session.context }
        var sending: ChannelCipher? = nil
        var receiving: ChannelCipher? = nil
        var peer: NodeID? = nil
        var progress: SyncProgress? = nil

        /// What the peer has: its versions, every acknowledgement's, and what moved on this connection.
        var cursor = VersionVector()
        /// What the peer is known to hold: its versions, what it acknowledged having applied, and what it
        /// sent. Unlike ``cursor`` it does not count batches in flight, which the peer may still refuse; it
        /// is what is recorded as the peer's (`Protocol/sync.md` §5.4).
        var known = VersionVector()
        var versionsReceived = false
        var nextBatch: UInt64 = 1
        var nextExpectedBatch: UInt64 = 1
        var unacknowledged = 0
        /// The certificates and directives still to send, or nil before the first batch: they go out with the
        /// first batches, as many as fit each one (`Protocol/sync.md` §5.3), certificates first.
        var trustToSend: TrustQueue? = nil
        var sentCaughtUp = false
        var peerCaughtUp = false
        var bytesSent = 0
        var bytesReceived = 0
        var admitted: NodeID? = nil
        var recorded: VersionVector? = nil
        var loggedMoved = 0
        var loggedOnce = false
        var lastSend = ContinuousClock.now

        init(
            session: SyncSession, events: AsyncStream<Event>.Iterator, taking: AsyncStream<Void>.Continuation,
            outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel, handshakeDeadline: Scheduled<Void>
        ) {
            self.session = session
            self.events = events
            self.taking = taking
            self.outbound = outbound
            self.channel = channel
            self.handshakeDeadline = handshakeDeadline
        }

        mutating func run() async throws -> SyncProgress {
            let peer = try await handshake()
            handshakeDeadline.cancel()
            self.peer = peer
            context.logger.info(
                "connected", metadata: ["peer": "\(peer.short)", "address": "\(session.address)", "dialled": "\(session.sideIsInitiator)"])
            progress = SyncProgress(peer: peer)
            do {
                try await converse(with: peer)
            } catch {
                try? await record(caughtUp: false)
                throw error
            }
            try? await record(caughtUp: false)
            report()
            return progress!
        }

        // MARK: Handshake

        mutating func handshake() async throws -> NodeID {
            let result: HandshakeResult
            switch session.side {
            case .initiator(let expected):
                let initiator = try InitiatorHandshake(identity: context.keys)
                try await write(initiator.hello)
                let (confirmation, finished) = try initiator.finish(reply: try await nextFrame(during: "the handshake"))
                result = finished
                // Checked before message 3, so a wrong or untrusted node never learns this node's id.
                try await refuseIfThisNode(result.peer, refuseInChannel: false)
                if let expected, expected != result.peer {
                    throw SyncError(
                        .wrongPeer, "the node at \(session.address) is \(result.peer.short), not the peer \(expected.short) that was dialled")
                }
                try await checkTrust(of: result.peer, refuseInChannel: false)
                try await write(confirmation)
                sending = result.sending
                receiving = result.receiving
                try await admit(result.peer)
                switch try await nextMessage() {
                case .accept: try await accepted()
                case .refuse(let refusal): throw SyncError(.refused, "\(result.peer.short) refused this node: \(refusal.message)")
                default: throw SyncError(.malformed, "\(result.peer.short) broke the protocol: no accept after the handshake")
                }
            case .responder:
                var responder = try ResponderHandshake(identity: context.keys)
                let hello = try await nextFrame(during: "the handshake")
                let reply: [UInt8]
                do { reply = try responder.reply(to: hello) } catch {
                    if error.code == .unsupportedVersion { try? await write(Handshake.versionNotice) }
                    throw error
                }
                try await write(reply)
                result = try responder.finish(confirmation: try await nextFrame(during: "the handshake"))
                sending = result.sending
                receiving = result.receiving
                try await refuseIfThisNode(result.peer, refuseInChannel: true)
                try await checkTrust(of: result.peer, refuseInChannel: true)
                try await admit(result.peer)
                // Before `accept` goes out: the initiator's next frames may be longer than the handshake's.
                try await accepted()
                try await send(.accept)
            }
            return result.peer
        }

        /// Throws when the other side proved this node's own id: its own `serve`, or a copy of its home
        /// running elsewhere. A node trusts itself, so without this it would sync with itself; it is
        /// checked before trust, and before anything of the replica is read (`Protocol/sync.md` §5.1).
        mutating func refuseIfThisNode(_ peer: NodeID, refuseInChannel: Bool) async throws {
            guard peer == context.keys.publicKey else { return }
            if refuseInChannel {
                let reason = "\(peer.short) is this node itself; a node does not sync with itself"
                try? await send(.refuse(.init(.other, reason)))
            }
            let answered = refuseInChannel ? "dialled in from" : "answers at"
            throw SyncError(
                .sameNode,
                "the node that \(answered) \(session.address) is this node itself (\(peer.short)); a node does not sync "
                    + "with itself: give the address of another node")
        }

        /// Refuses (and throws for) a node this one does not trust, or has revoked (`Protocol/trust.md` §7.4).
        /// (Where and when a trusted one was seen
        /// is recorded with its versions, by ``record(caughtUp:)``.)
        mutating func checkTrust(of peer: NodeID, refuseInChannel: Bool) async throws {
            let replica = context.replica
            let address = session.address
            let (trusted, revocation) = try await context.worker.run { () throws -> (Bool, String?) in
                let trust = try replica.trust()
                return (trust.trusts(peer), trust.revocations(of: peer).first.map { "\($0.issuer.short): \"\($0.reason)\"" })
            }
            guard trusted else {
                let me = context.keys.publicKey.short
                if refuseInChannel {
                    let reason = revocation == nil ? "\(me) does not trust \(peer.short)" : "\(me) has revoked \(peer.short)"
                    try? await send(.refuse(.init(.untrusted, reason)))
                }
                if let revocation {
                    throw SyncError(.untrusted, "refused node \(peer.short) at \(address): it has been revoked by \(revocation)")
                }
                throw SyncError(
                    .untrusted, "refused node \(peer.short) at \(address): this node does not trust it (see 'waypost peer add')")
            }
        }

        /// Keeps at most one session per peer in `serve` (``SessionRegistry``).
        mutating func admit(_ peer: NodeID) async throws {
            guard let registry = context.registry else { return }
            guard registry.admit(peer, session: session.sideIsInitiator, close: closer) else {
                try? await send(.refuse(.init(.busy, "these nodes are connected already")))
                throw SyncError(.refused, "already connected to \(peer.short); keeping the other connection")
            }
            admitted = peer
        }

        /// The peer is accepted: its connection keeps its slot in `serve`'s table from now on, and its frames
        /// may be up to the maximum frame (``FrameDecoder``).
        mutating func accepted() async throws {
            if let slot = session.slot, context.registry?.authenticate(slot) == false {
                throw SyncError(
                    .connection, "the connection was closed to make room for another before its peer was accepted")
            }
            do {
                try await channel.triggerUserOutboundEvent(FrameDecoder.PeerAccepted()).get()
            } catch let reason as FrameTooLarge {
                throw SyncError(.malformed, "\(reason); closed")
            } catch {
                // The connection closed under the handshake; its end says why if the peer broke a frame limit.
                while let event = await nextEvent() {
                    guard case .closed(let reason) = event else { continue }
                    if let reason = reason as? FrameTooLarge { throw SyncError(.malformed, "\(reason); closed") }
                    break
                }
                throw SyncError(.connection, "the connection closed during the handshake: \(error)")
            }
        }

        /// Gives the registry's slot back, however the session ended (after admission, a refusal or a
        /// dropped link must not leave the peer marked as connected).
        mutating func release() {
            if let admitted { context.registry?.release(admitted, session: session.sideIsInitiator) }
            admitted = nil
        }

        var closer: @Sendable () -> Void {
            let channel = self.channel
            return { channel.close(promise: nil) }
        }

        // MARK: Sync

        mutating func converse(with peer: NodeID) async throws {
            let replica = context.replica
            let mine = try await context.worker.run { try replica.versions() }
            try await send(.versions(mine))
            while true {
                if case .untilCaughtUp = session.mode, sentCaughtUp, peerCaughtUp { return }
                guard let event = await nextEvent() else { throw CancellationError() }
                switch event {
                case .closed(let error):
                    if case .live = session.mode { return }
                    let reason = error.map { " (\($0))" } ?? ""
                    throw SyncError(.connection, "\(peer.short) closed the connection before both sides were caught up\(reason)")
                case .tick:
                    if versionsReceived { try await push() }
                    if ContinuousClock.now - lastSend > .seconds(context.limits.idleTimeout / 3) { try await send(.keepalive) }
                case .frame(let buffer):
                    try await handle(try open(buffer), from: peer, mine: mine)
                }
            }
        }

        mutating func handle(_ message: SyncMessage, from peer: NodeID, mine: VersionVector) async throws {
            switch message {
            case .versions(let theirs):
                guard !versionsReceived else { throw SyncError(.malformed, "\(peer.short) sent its versions twice") }
                versionsReceived = true
                cursor = theirs
                known = theirs
                progress!.toSend = Int(clamping: Self.lacking(in: theirs, of: mine))
                progress!.toReceive = Int(clamping: Self.lacking(in: mine, of: theirs))
                report()
                try await push()
            case .batch(let number, let frames):
                guard versionsReceived, number == nextExpectedBatch else {
                    throw SyncError(.malformed, "\(peer.short) sent batch \(number) out of order")
                }
                nextExpectedBatch += 1
                peerCaughtUp = false
                try await apply(number: number, frames: frames, from: peer)
            case .acknowledge(let number, _, let versions):
                guard unacknowledged > 0, number == nextBatch - UInt64(unacknowledged) else {
                    throw SyncError(.malformed, "\(peer.short) acknowledged batch \(number), which is not the oldest one in flight")
                }
                unacknowledged -= 1
                cursor = cursor.merging(versions)
                known = known.merging(versions)
                try await push()
            case .caughtUp:
                peerCaughtUp = true
                try await noteCaughtUp()
            case .keepalive:
                break
            case .refuse(let refusal):
                throw SyncError(.refused, "\(peer.short) closed the sync: \(refusal.message)")
            case .accept:
                throw SyncError(.malformed, "\(peer.short) sent accept in the middle of a sync")
            }
        }

        /// Sends batches while the window allows and there is something the peer lacks.
        mutating func push() async throws {
            let replica = context.replica
            let limit = context.limits.changesPerBatch
            // A sealed batch must fit in a frame: the message's tag and type, its number, and the tag.
            let byteBudget = context.limits.maximumFrame - 64
            let me = context.keys.publicKey
            // A revocation may arrive while the session runs (from another session, a bundle, the CLI):
            // from then on the peer gets nothing more (`Protocol/trust.md` §7.4).
            if let peer, try await context.worker.run({ try replica.isRevoked(peer) }) {
                try? await send(.refuse(.init(.untrusted, "\(me.short) has revoked \(peer.short)")))
                throw SyncError(.untrusted, "stopped syncing with \(peer.short): it has been revoked")
            }
            if trustToSend == nil {
                let (certificates, directives) = try await context.worker.run { (try replica.certificates(), try replica.directives()) }
                trustToSend = TrustQueue(certificates: certificates, directives: directives)
            }
            while unacknowledged < context.limits.window {
                let seen = cursor
                let trust = trustToSend!.next(budget: byteBudget / 2)
                let next = try await context.worker.run { () throws -> (frames: [UInt8], count: Int, last: [NodeID: UInt64])? in
                    var batch = try replica.changes(after: seen, limit: limit)
                    // The first batches carry the directives, even with no change to send, so that a
                    // revocation reaches a peer that lacks none of this node's changes.
                    guard !batch.changes.isEmpty || !trust.isEmpty else { return nil }
                    // Large values: halve until the batch fits beside the certificates and directives, cut
                    // anywhere (the receiver holds an unsigned tail back until the rest of its run arrives).
                    let room = byteBudget - trust.bytes
                    var size = batch.changes.count
                    while batch.changes.reduce(0, { $0 + BundleWriter.encodedSizeBound($1) }) > room {
                        guard size > 1 else {
                            // One large change does not fit beside them: the certificates and directives go
                            // alone this time, the change in the next batch.
                            if !trust.isEmpty { batch = ChangeBatch(changes: []) }
                            break
                        }
                        size /= 2
                        batch = try replica.changes(after: seen, limit: size, endAtSignature: false)
                    }
                    var last: [NodeID: UInt64] = [:]
                    for change in batch.changes { last[change.dot.origin] = max(last[change.dot.origin] ?? 0, change.dot.sequence) }
                    let bundle = Bundle(
                        sender: me, createdAt: SQLiteReplica.systemWallClock(), senderVersions: try replica.versions(),
                        batch: batch, certificates: trust.certificates, directives: trust.directives)
                    return (BundleWriter.encode(bundle), batch.changes.count, last)
                }
                guard let next else {
                    if unacknowledged == 0, !sentCaughtUp {
                        try await send(.caughtUp)
                        sentCaughtUp = true
                        try await noteCaughtUp()
                    }
                    return
                }
                if !trust.isEmpty { trustToSend!.drop(trust) }
                sentCaughtUp = false
                try await send(.batch(number: nextBatch, frames: next.frames))
                nextBatch += 1
                unacknowledged += 1
                for (origin, sequence) in next.last { cursor.advance(origin, to: sequence) }
                progress!.sent += next.count
                progress!.toSend = max(progress!.toSend, progress!.sent)
                report()
            }
        }

        /// Verifies and applies one batch in one transaction, then acknowledges it.
        mutating func apply(number: UInt64, frames: [UInt8], from peer: NodeID) async throws {
            let replica = context.replica
            let outcome: Result<(report: ApplyReport, count: Int, last: [NodeID: UInt64], versions: VersionVector), SyncError> =
                try await context.worker.run {
                    do {
                        let bundle = try BundleReader.decode(frames)
                        guard bundle.sender == peer else {
                            return .failure(SyncError(.malformed, "\(peer.short) sent a batch that names another sender"))
                        }
                        let report = try replica.apply(
                            bundle.batch, certificates: bundle.certificates, directives: bundle.directives, from: peer)
                        var last: [NodeID: UInt64] = [:]
                        for change in bundle.changes { last[change.dot.origin] = max(last[change.dot.origin] ?? 0, change.dot.sequence) }
                        return .success((report, bundle.changes.count, last, try replica.versions()))
                    } catch let error as BundleError {
                        return .failure(SyncError(.malformed, "\(peer.short) sent a damaged batch: \(error.message)"))
                    } catch let error as StoreError where [.untrusted, .forged, .invalid].contains(error.code) {
                        return .failure(SyncError(.refused, "refused a batch from \(peer.short): \(error.message)"))
                    }
                }
            switch outcome {
            case .failure(let error):
                try? await send(.refuse(.init(error.code == .refused ? .batchRefused : .malformed, error.message)))
                throw error
            case .success(let result):
                try await send(.acknowledge(number: number, applied: UInt64(result.report.applied), versions: result.versions))
                for (origin, sequence) in result.last {
                    cursor.advance(origin, to: sequence)
                    known.advance(origin, to: sequence)
                }
                progress!.received += result.count
                progress!.applied += result.report.applied
                progress!.directivesStored += result.report.directivesStored
                progress!.directivesRefused += result.report.directivesRefused
                progress!.refusedBeyondRevocation += result.report.refusedBeyondRevocation
                progress!.erasedRecords += result.report.erasedRecords
                progress!.droppedForErasure += result.report.droppedForErasure
                progress!.untrustedOrigins.merge(result.report.untrustedOrigins, uniquingKeysWith: +)
                progress!.withheldValues += result.report.withheldValues
                progress!.notHeld += result.report.notHeld
                progress!.certificatesRefused += result.report.certificatesRefused
                progress!.batchesReceived += 1
                progress!.toReceive = max(progress!.toReceive, progress!.received)
                report()
            }
        }

        /// When both sides are caught up: records the sync, and logs it if anything moved since the last time.
        mutating func noteCaughtUp() async throws {
            guard sentCaughtUp, peerCaughtUp else { return }
            progress!.caughtUp = true
            report()
            try await record(caughtUp: true)
            let moved = progress!.sent + progress!.received
            guard moved > loggedMoved || loggedMoved == 0 && !loggedOnce else { return }
            loggedMoved = moved
            loggedOnce = true
            context.logger.info(
                "caught up", metadata: ["peer": "\(peer!.short)", "sent": "\(progress!.sent)", "received": "\(progress!.received)"])
        }

        /// Records what the peer has, and when caught up, the time: once per change of either, since each
        /// record is a committed write.
        mutating func record(caughtUp: Bool) async throws {
            guard let peer, caughtUp || recorded != known else { return }
            let replica = context.replica
            let versions = known, address = session.address
            try await context.worker.run {
                try replica.recordSync(with: peer, address: address, versions: versions, caughtUp: caughtUp)
            }
            recorded = versions
        }

        mutating func report() {
            progress?.bytesSent = bytesSent
            progress?.bytesReceived = bytesReceived
            if let progress { session.onProgress?(progress) }
        }

        static func lacking(in seen: VersionVector, of held: VersionVector) -> UInt64 {
            held.missing(from: seen)  // saturating: a sum of entries never traps
        }

        // MARK: Frames

        /// The next event; taking a frame lets the reader fetch the one after it.
        mutating func nextEvent() async -> Event? {
            let event = await events.next()
            if case .frame = event { taking.yield() }
            return event
        }

        mutating func nextFrame(during phase: String) async throws -> [UInt8] {
            while let event = await nextEvent() {
                switch event {
                case .tick: continue
                case .frame(var buffer):
                    bytesReceived += 4 + buffer.readableBytes
                    return buffer.readBytes(length: buffer.readableBytes) ?? []
                case .closed(let error):
                    if let error { throw SyncError(.connection, "the connection failed during \(phase): \(error)") }
                    throw SyncError(.connection, "the other side closed the connection during \(phase)")
                }
            }
            throw CancellationError()
        }

        mutating func nextMessage() async throws -> SyncMessage {
            try open(ByteBuffer(bytes: try await nextFrame(during: "the handshake")))
        }

        mutating func open(_ buffer: ByteBuffer) throws -> SyncMessage {
            var buffer = buffer
            if progress != nil { bytesReceived += 4 + buffer.readableBytes }
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            let plain: [UInt8]
            do { plain = try receiving!.open(bytes) } catch {
                throw SyncError(.malformed, "a message from the peer did not authenticate (altered, replayed or reordered); closing")
            }
            return try SyncMessage(decoding: plain)
        }

        mutating func send(_ message: SyncMessage) async throws {
            try await write(sending!.seal(message.encoded))
            lastSend = .now
        }

        mutating func write(_ bytes: [UInt8]) async throws {
            bytesSent += 4 + bytes.count
            try await outbound.write(ByteBuffer(bytes: bytes))
        }
    }
}

extension SyncSession {
    var sideIsInitiator: Bool {
        if case .initiator = side { return true }
        return false
    }
}
