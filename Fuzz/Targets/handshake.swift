// Fuzz target: the handshake messages (Protocol/sync.md §3) and the discovery announcement (§8). Built
// only by Scripts/fuzz, with libFuzzer (`swiftc -sanitize=fuzzer`).
//
// The first byte chooses what the rest is, with the keys of the vector `sync-handshake.txt` (I, R and
// their ephemeral keys from fixed seeds):
//   0  message 1, a hello, which R answers;
//   1  message 2, a reply, which I (having sent the vector's hello) checks;
//   2  message 3, a confirmation, which R (having answered the vector's hello) checks;
//   3  a discovery announcement, whose announcer is looked for among I and R.
// Returning or throwing `SyncError` is fine; anything else is a crash.
import WaypostCore
import WaypostCrypto
import WaypostSync

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshake(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 4 {
    case 0:
        var responder = ResponderHandshake(identity: FuzzSupport.responder, ephemeral: FuzzSupport.responderEphemeral)
        _ = try? responder.reply(to: bytes)
    case 1:
        let initiator = InitiatorHandshake(identity: FuzzSupport.initiator, ephemeral: FuzzSupport.initiatorEphemeral)
        _ = try? initiator.finish(reply: bytes)
    case 2:
        var responder = ResponderHandshake(identity: FuzzSupport.responder, ephemeral: FuzzSupport.responderEphemeral)
        let initiator = InitiatorHandshake(identity: FuzzSupport.initiator, ephemeral: FuzzSupport.initiatorEphemeral)
        guard (try? responder.reply(to: initiator.hello)) != nil else { fatalError("R refuses the vector's hello") }
        _ = try? responder.finish(confirmation: bytes)
    default:
        if let announcement = try? Announcement(decoding: bytes) {
            _ = announcement.announcer(among: [FuzzSupport.initiator.publicKey, FuzzSupport.responder.publicKey])
            guard announcement.encoded == bytes else { fatalError("an announcement re-encodes to other bytes") }
        }
    }
    return 0
}
