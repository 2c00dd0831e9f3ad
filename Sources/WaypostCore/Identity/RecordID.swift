/// The id of a case file or service directory entry: 80 random bits written as 16 lower-case base32
/// characters in four groups, for example `k7f3-m2q4-x4c2-ab5d`.
///
/// Ids are made by the node that creates the record, with no coordination; 80 bits keep the chance of
/// two nodes picking the same id negligible for any realistic number of records.
public struct RecordID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The canonical text form (lower case, with dashes).
    public let text: String

    /// Parses a record id in either case, with or without dashes.
    ///
    /// - Throws: ``CoreError`` `malformedIdentifier` if it is not 16 base32 characters.
    public init(parsing input: String) throws(CoreError) {
        let compact = input.lowercased().filter { $0 != "-" }
        guard compact.count == 16, compact.utf8.allSatisfy({ Base32.value(of: $0) != nil }) else {
            throw CoreError(
                .malformedIdentifier,
                "'\(input)' is not a record id: expected 16 letters and digits like k7f3-m2q4-x4c2-ab5d")
        }
        self.text = RecordID.group(compact)
    }

    /// A new random id.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> RecordID {
        let bytes = (0..<10).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return RecordID(canonical: RecordID.group(Base32.encode(bytes).lowercased()))
    }

    /// A new random id from the system's generator.
    public static func random() -> RecordID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// Wraps text already in canonical form (from the replica or a verified bundle).
    public init(canonical text: String) { self.text = text }

    public var description: String { text }

    public static func < (lhs: RecordID, rhs: RecordID) -> Bool { lhs.text < rhs.text }

    static func group(_ compact: String) -> String {
        var output = ""
        for (index, character) in compact.enumerated() {
            if index > 0 && index % 4 == 0 { output += "-" }
            output.append(character)
        }
        return output
    }
}

extension RecordID {
    /// The id's 10 bytes, as the bundle format carries it.
    public var bytes: [UInt8] {
        // Decoded straight from the text's UTF-8, dashes skipped: the hash chain asks for these bytes
        // once per change it verifies.
        var output: [UInt8] = []
        output.reserveCapacity(10)
        var buffer: UInt32 = 0
        var bits = 0
        for character in text.utf8 where character != UInt8(ascii: "-") {
            buffer = (buffer << 5) | UInt32(Base32.value(of: character)!)
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return output
    }

    /// The id whose 10 bytes these are, or nil if there are not 10.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 10 else { return nil }
        self = RecordID(canonical: RecordID.group(Base32.encode(bytes).lowercased()))
    }
}
