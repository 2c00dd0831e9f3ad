import Testing
import WaypostTesting

@testable import WaypostCore

@Suite struct Base32Tests {
    /// RFC 4648 §10 test vectors, without padding.
    @Test(arguments: [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI"),
    ])
    func theRFCVectorsEncodeAndDecode(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
        #expect(Base32.decode(encoded.lowercased()) == Array(plain.utf8))
    }

    @Test func charactersOutsideTheAlphabetAndStrayBitsAreRefused() {
        #expect(Base32.decode("MZ1W6") == nil)
        #expect(Base32.decode("MZXW8") == nil)
        #expect(Base32.decode("MZ") == nil, "the last character carries bits that are not zero")
    }

    @Test(arguments: 0..<20 as Range<UInt64>)
    func randomBytesRoundTrip(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let bytes = (0..<random.int(in: 0...40)).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        #expect(Base32.decode(Base32.encode(bytes)) == bytes)
    }
}
