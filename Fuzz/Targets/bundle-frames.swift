// Fuzz target: a bundle's frames (Protocol/bundle.md §3), as `BundleReader` reads them from a decrypted
// container or a sync batch. Built only by Scripts/fuzz, with libFuzzer (`swiftc -sanitize=fuzzer`).
//
// Each input is read twice: as it is, and with every frame's CRC-32C recomputed, so that mutations reach
// the decoding of payloads and not only the checksum. What decodes must re-encode to a bundle that
// decodes to the same thing; anything else that the reader does besides returning or throwing
// `BundleError` (a trap, an overflow, a read out of bounds) is a crash libFuzzer reports.
import WaypostBundle

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundleFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    let repaired = FuzzSupport.repairingChecksums(bytes)
    if repaired != bytes { check(repaired) }
    return 0
}

private func check(_ bytes: [UInt8]) {
    guard let bundle = try? BundleReader.decode(bytes) else { return }
    let again: Bundle
    do { again = try BundleReader.decode(BundleWriter.encode(bundle)) } catch {
        fatalError("a bundle that decodes re-encodes to bytes the reader refuses: \(error)")
    }
    guard again == bundle else { fatalError("a bundle that decodes re-encodes to another bundle") }
}
