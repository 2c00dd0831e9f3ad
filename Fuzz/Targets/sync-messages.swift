// Fuzz target: every channel message (Protocol/sync.md §4), as a session decodes the plaintext of each
// frame it opens; a batch's frames are decoded as a bundle's. Built only by Scripts/fuzz, with libFuzzer
// (`swiftc -sanitize=fuzzer`).
//
// What decodes must re-encode to a message that decodes to the same thing, and the numbers a session
// adds up (a version vector's entries) must fit. Returning or throwing `SyncError` (or `BundleError` for a
// batch's frames) is fine; anything else is a crash.
import WaypostBundle
import WaypostCore
import WaypostSync

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSyncMessages(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? SyncMessage(decoding: bytes) else { return 0 }
    let again: SyncMessage
    do { again = try SyncMessage(decoding: message.encoded) } catch {
        fatalError("a message that decodes re-encodes to bytes the reader refuses: \(error)")
    }
    guard again == message else { fatalError("a message that decodes re-encodes to another message") }
    switch message {
    case .versions(let versions), .acknowledge(_, _, let versions):
        // What a session computes from two vectors: neither may trap, and a decoded vector's total fits.
        guard versions.count <= Dot.maximumSequence else {
            fatalError("a decoded version vector holds too many changes")
        }
        _ = versions.missing(from: VersionVector()) + VersionVector().missing(from: versions)
    case .batch(_, let frames):
        _ = try? BundleReader.decode(frames)
        _ = try? BundleReader.decode(FuzzSupport.repairingChecksums(frames))
    default:
        break
    }
    return 0
}
