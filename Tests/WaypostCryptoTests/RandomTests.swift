import Testing
import WaypostCrypto

@Suite struct RandomTests {
    @Test func givesTheCountAsked() {
        for count in [0, 1, 16, 1000] { #expect(Random.bytes(count).count == count) }
    }

    @Test func differsEachTime() {
        #expect(Random.bytes(32) != Random.bytes(32))
    }

    @Test func isNotObviouslyBiased() {
        // 64 KiB: every byte value should turn up, about 256 times each.
        var counts = [Int](repeating: 0, count: 256)
        for byte in Random.bytes(65536) { counts[Int(byte)] += 1 }
        #expect(counts.allSatisfy { (128...384).contains($0) })
    }
}
