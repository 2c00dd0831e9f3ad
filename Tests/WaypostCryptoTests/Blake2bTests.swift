import Testing
import WaypostCrypto

@Suite struct Blake2bTests {
    struct Vector {
        let outputLength: Int
        let key: [UInt8]?
        let input: [UInt8]
        let digest: [UInt8]
    }

    static func vectors() throws -> [Vector] {
        try ProtocolVectors.records("blake2b.txt").map { fields in
            #expect(fields.count == 4)
            return Vector(
                outputLength: Int(fields[0])!, key: fields[1].isEmpty ? nil : Hex.bytes(fields[1]),
                input: Hex.bytes(fields[2]), digest: Hex.bytes(fields[3]))
        }
    }

    @Test func knownVectorsOneShot() throws {
        let vectors = try Self.vectors()
        #expect(vectors.count >= 6)
        for vector in vectors {
            #expect(
                Blake2b.hash(vector.input, outputLength: vector.outputLength, key: vector.key) == vector.digest)
        }
    }

    @Test func knownVectorsFedInPieces() throws {
        for vector in try Self.vectors() {
            for pieceSize in [1, 7, 64, 128, 129, 1000] {
                var hash = Blake2b(outputLength: vector.outputLength, key: vector.key)
                var start = 0
                while start < vector.input.count {
                    let end = min(start + pieceSize, vector.input.count)
                    let piece = Array(vector.input[start..<end])
                    if pieceSize % 2 == 0 {
                        hash.update(piece)
                    } else {
                        piece.withUnsafeBytes { hash.update($0) }
                    }
                    start = end
                }
                #expect(hash.finalize() == vector.digest, "pieces of \(pieceSize)")
            }
        }
    }

    @Test func theEmptyInputAndAbcMatchTheDocumentedDigests() {
        #expect(
            Hex.string(Blake2b.hash([]))
                == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
        #expect(Blake2b().finalize() == Blake2b.hash([]))
        #expect(
            Hex.string(Blake2b.hash(Array("abc".utf8)))
                == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
    }

    @Test func incrementalEqualsOneShot() {
        let data = Random.bytes(10_000)
        for split in [0, 1, 127, 128, 129, 5000, 9999, 10_000] {
            var hash = Blake2b(outputLength: 64)
            hash.update(Array(data[..<split]))
            hash.update(Array(data[split...]))
            #expect(hash.finalize() == Blake2b.hash(data, outputLength: 64), "split at \(split)")
        }
    }

    @Test func keyedDiffersFromUnkeyedAndByKey() {
        let data = Array("abc".utf8)
        let first = Blake2b.hash(data, key: [UInt8](repeating: 1, count: 32))
        let second = Blake2b.hash(data, key: [UInt8](repeating: 2, count: 32))
        #expect(first != Blake2b.hash(data))
        #expect(first != second)
        #expect(Blake2b.hash(data, key: []) == Blake2b.hash(data))
        var keyed = Blake2b(key: [UInt8](repeating: 1, count: 32))
        keyed.update(data)
        #expect(keyed.finalize() == first)
    }

    @Test func outputLengthIsHonoured() {
        for length in [16, 20, 32, 48, 64] {
            #expect(Blake2b.hash([1, 2, 3], outputLength: length).count == length)
            #expect(Blake2b(outputLength: length).finalize().count == length)
        }
        // BLAKE2b's parameter block includes the output length: a shorter hash is not a prefix of a longer one.
        #expect(Array(Blake2b.hash([1, 2, 3], outputLength: 64).prefix(32)) != Blake2b.hash([1, 2, 3]))
    }

    @Test func finalizeLeavesTheHashUsable() {
        var hash = Blake2b()
        hash.update(Array("ab".utf8))
        #expect(hash.finalize() == hash.finalize())
        #expect(hash.finalize() == Blake2b.hash(Array("ab".utf8)))
        hash.update(Array("c".utf8))
        #expect(hash.finalize() == Blake2b.hash(Array("abc".utf8)))
    }

    @Test func copiesAreIndependent() {
        var prefix = Blake2b()
        prefix.update(Array("common prefix, ".utf8))
        var left = prefix
        var right = prefix
        left.update(Array("left".utf8))
        right.update(Array("right".utf8))
        #expect(prefix.finalize() == Blake2b.hash(Array("common prefix, ".utf8)))
        #expect(left.finalize() == Blake2b.hash(Array("common prefix, left".utf8)))
        #expect(right.finalize() == Blake2b.hash(Array("common prefix, right".utf8)))
    }

    @Test func hashesConcurrently() async {
        let data = Random.bytes(4096)
        let expected = Blake2b.hash(data)
        var shared = Blake2b()
        shared.update(Array(data[..<2048]))
        let start = shared
        let results = await withTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine = start
                    mine.update(Array(data[2048...]))
                    return mine.finalize()
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 == expected })
        #expect(start.finalize() == Blake2b.hash(Array(data[..<2048])))
    }
}
