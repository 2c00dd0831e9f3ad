import Testing
import WaypostCrypto

@Suite struct SecretStreamTests {
    let key = SecretStream.makeKey()

    /// The byte ranges of each chunk's 4-byte length, and where each chunk ends.
    static func layout(of stream: [UInt8]) -> (lengths: [Range<Int>], ends: [Int]) {
        var offset = SecretStream.headerByteCount
        var lengths: [Range<Int>] = []
        var ends: [Int] = []
        while offset < stream.count {
            let length = stream[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            lengths.append(offset..<(offset + 4))
            offset += 4 + length
            ends.append(offset)
        }
        return (lengths, ends)
    }

    static func code(_ body: () throws(CryptoError) -> [UInt8]) -> CryptoError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test(arguments: [64, 65536])
    func roundTripsAtChunkBoundaries(chunk: Int) throws {
        for size in [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk] {
            let plaintext = Random.bytes(size)
            let stream = SecretStream.encrypt(plaintext, key: key, chunkSize: chunk)
            let chunks = max(1, (size + chunk - 1) / chunk)
            #expect(stream.count == SecretStream.headerByteCount + chunks * 21 + size, "size \(size)")
            #expect(Self.layout(of: stream).ends.count == chunks, "size \(size)")
            #expect(try SecretStream.decrypt(stream, key: key, maximumChunk: chunk + 17) == plaintext, "size \(size)")
        }
    }

    @Test func theEmptyPlaintextIsOneEmptyFinalChunk() throws {
        let stream = SecretStream.encrypt([], key: key)
        #expect(stream.count == 24 + 4 + 17)
        #expect(Array(stream[24..<28]) == [0, 0, 0, 17])
        #expect(try SecretStream.decrypt(stream, key: key) == [])
    }

    @Test func theSamePlaintextEncryptsDifferently() {
        let plaintext = Array("case file".utf8)
        #expect(SecretStream.encrypt(plaintext, key: key) != SecretStream.encrypt(plaintext, key: key))
    }

    @Test func truncationAtEveryChunkBoundaryIsTruncated() {
        let chunk = 1000
        let stream = SecretStream.encrypt(Random.bytes(3 * chunk + 10), key: key, chunkSize: chunk)
        let ends = Self.layout(of: stream).ends
        #expect(ends.count == 4)
        for cut in [0, SecretStream.headerByteCount] + ends.dropLast() {
            let code = Self.code { () throws(CryptoError) in
                try SecretStream.decrypt(Array(stream.prefix(cut)), key: key, maximumChunk: chunk + 17)
            }
            #expect(code == .truncated, "cut at \(cut)")
        }
    }

    @Test func truncationAtEveryByteIsTruncated() {
        let stream = SecretStream.encrypt(Random.bytes(40), key: key, chunkSize: 16)
        for cut in 0..<stream.count {
            let code = Self.code { () throws(CryptoError) in
                try SecretStream.decrypt(Array(stream.prefix(cut)), key: key, maximumChunk: 33)
            }
            #expect(code == .truncated, "cut at \(cut)")
        }
    }

    @Test func everyFlippedByteIsRefused() {
        let stream = SecretStream.encrypt(Random.bytes(40), key: key, chunkSize: 16)
        let lengthBytes = Set(Self.layout(of: stream).lengths.flatMap { $0 })
        for position in stream.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var changed = stream
                changed[position] ^= mask
                let code = Self.code { () throws(CryptoError) in
                    try SecretStream.decrypt(changed, key: key, maximumChunk: 33)
                }
                if lengthBytes.contains(position) {
                    // A changed length frames the wrong bytes, or claims more than is there: a reader cannot
                    // tell that from a file cut short (Protocol/keys.md §4).
                    #expect([.authenticationFailed, .malformed, .truncated].contains(code), "byte \(position)")
                } else {
                    #expect([.authenticationFailed, .malformed].contains(code), "byte \(position)")
                }
            }
        }
    }

    @Test func bytesAfterTheFinalChunkAreMalformed() {
        let stream = SecretStream.encrypt(Random.bytes(100), key: key, chunkSize: 64)
        let secondChunk = Array(stream[Self.layout(of: stream).ends[0]...])
        for extra in [[0], [0, 0, 0, 17], secondChunk, stream] {
            let code = Self.code { () throws(CryptoError) in try SecretStream.decrypt(stream + extra, key: key) }
            #expect(code == .malformed)
        }
    }

    @Test func droppedOrReorderedChunksAreRefused() {
        let stream = SecretStream.encrypt(Random.bytes(3 * 64), key: key, chunkSize: 64)
        let ends = Self.layout(of: stream).ends
        let header = Array(stream[..<24])
        let chunks = [Array(stream[24..<ends[0]]), Array(stream[ends[0]..<ends[1]]), Array(stream[ends[1]...])]
        for candidate in [
            header + chunks[0] + chunks[2], header + chunks[1] + chunks[0] + chunks[2],
            header + chunks[0] + chunks[0] + chunks[2], header + chunks[2],
        ] {
            let code = Self.code { () throws(CryptoError) in try SecretStream.decrypt(candidate, key: key) }
            #expect(code == .authenticationFailed)
        }
    }

    @Test func anotherKeyIsRefused() {
        let stream = SecretStream.encrypt(Array("records".utf8), key: key)
        let code = Self.code { () throws(CryptoError) in
            try SecretStream.decrypt(stream, key: SecretStream.makeKey())
        }
        #expect(code == .authenticationFailed)
    }

    @Test func aChunkOverTheMaximumIsMalformed() throws {
        let plaintext = Random.bytes(70_000)
        let stream = SecretStream.encrypt(plaintext, key: key, chunkSize: 100_000)
        let code = Self.code { () throws(CryptoError) in try SecretStream.decrypt(stream, key: key) }
        #expect(code == .malformed)
        #expect(try SecretStream.decrypt(stream, key: key, maximumChunk: 100_017) == plaintext)
        // A length too small to hold a tag.
        var tiny = SecretStream.encrypt([], key: key)
        tiny[27] = 16
        let tinyCode = Self.code { () throws(CryptoError) in try SecretStream.decrypt(tiny, key: key) }
        #expect(tinyCode == .malformed)
    }

    @Test func aKeyOfTheWrongSizeIsRefused() {
        let code = Self.code { () throws(CryptoError) in
            try SecretStream.decrypt(SecretStream.encrypt([], key: key), key: SecretBytes([1, 2, 3]))
        }
        #expect(code == .malformedKey)
    }

    @Test func keysAreRandom() {
        let other = SecretStream.makeKey()
        #expect(key.count == 32)
        #expect(key.withUnsafeBytes { Array($0) } != other.withUnsafeBytes { Array($0) })
    }
}
