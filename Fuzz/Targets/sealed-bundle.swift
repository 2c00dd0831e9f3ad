// Fuzz target: the sealed container (Protocol/bundle.md §10), as `SealedBundle` opens a bundle file.
// Built only by Scripts/fuzz, with libFuzzer (`swiftc -sanitize=fuzzer`).
//
// An input that starts with the magic is opened as a container by R (the recipient of the vector
// `bundle-v2-sealed.hex`, seed 40 41 ... 5f), and its recipients listed; what opens must come from a
// sender whose signature checked, and its frames are decoded. Any other input is taken as frames: S seals
// them to R and a bystander, and R must open exactly them again (the secretstream's chunking at every
// length). Returning or throwing `BundleError` is fine; anything else is a crash.
import WaypostBundle
import WaypostCore
import WaypostCrypto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSealedBundle(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.starts(with: Bundle.magic) {
        _ = try? SealedBundle.recipients(of: bytes)
        if let (_, frames) = try? SealedBundle.open(bytes, with: FuzzSupport.recipient) {
            _ = try? BundleReader.decode(frames)
        }
        return 0
    }
    let sealed: [UInt8]
    do {
        sealed = try SealedBundle.seal(
            bytes, from: FuzzSupport.sender, to: [FuzzSupport.bystander.publicKey, FuzzSupport.recipient.publicKey])
    } catch { fatalError("sealing \(bytes.count) bytes of frames failed: \(error)") }
    guard let opened = try? SealedBundle.open(sealed, with: FuzzSupport.recipient) else {
        fatalError("a bundle just sealed to this node does not open")
    }
    guard opened.sender == FuzzSupport.sender.publicKey, opened.frames == bytes else {
        fatalError("a bundle just sealed opens to another sender or other frames")
    }
    return 0
}
