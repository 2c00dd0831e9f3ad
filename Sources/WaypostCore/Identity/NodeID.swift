/// A node's identity: its 32-byte Ed25519 public key.
///
/// People see it as 56 base32 characters in eight groups of seven, for example
/// `MFRGG2L-OOJ5XGZ3-...`: the 52 characters of the key's base32 form split in four blocks of 13, each
/// followed by a Luhn mod 32 check character (the scheme Syncthing uses for device ids), so that a
/// typo made while reading an id over a phone line is caught. `Protocol/identity.md` specifies it.
public struct NodeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The public key's 32 bytes.
    public let bytes: [UInt8]


    /// The number of bytes in a node id.
    public static let byteCount = 32

    public static func == (lhs: NodeID, rhs: NodeID) -> Bool { lhs.bytes == rhs.bytes }

    /// Feeds the 32 bytes to the hasher in one call (an array's own `hash(into:)` feeds them one at a
    /// time, which dominated dictionary lookups keyed by node ids while merging).
    public func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }

    /// Wraps a 32-byte public key.
    ///
    /// - Precondition: `bytes.count == 32`; use ``init(parsing:)`` for untrusted text.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == NodeID.byteCount, "a node id is 32 bytes")
        self.bytes = bytes
    }

    /// Parses the human form, in either case, with or without dashes and spaces.
    ///
    /// - Throws: ``CoreError`` with code `malformedIdentifier` naming what is wrong (length, a character,
    ///   or a check character that does not match, which usually means a typo).
    public init(parsing text: String) throws(CoreError) {
        let compact = text.uppercased().filter { $0 != "-" && $0 != " " }
        guard compact.count == 56 else {
            throw CoreError(
                .malformedIdentifier,
                "'\(text)' is not a node id: expected 56 letters and digits in groups (as printed by 'waypost id')")
        }
        let characters = Array(compact.utf8)
        var base32: [UInt8] = []
        for block in 0..<4 {
            let chunk = Array(characters[(block * 14)..<(block * 14 + 13)])
            let check = characters[block * 14 + 13]
            guard chunk.allSatisfy({ Base32.value(of: $0) != nil }), Base32.value(of: check) != nil else {
                throw CoreError(.malformedIdentifier, "'\(text)' is not a node id: it has characters outside A-Z and 2-7")
            }
            guard NodeID.luhn32(chunk) == check else {
                throw CoreError(
                    .malformedIdentifier,
                    "'\(text)' is not a valid node id: check character \(block + 1) does not match; look for a typo")
            }
            base32 += chunk
        }
        guard let decoded = Base32.decode(String(decoding: base32, as: UTF8.self)), decoded.count == 32 else {
            throw CoreError(.malformedIdentifier, "'\(text)' is not a node id: it does not decode to 32 bytes")
        }
        self.bytes = decoded
    }

    /// The human form: eight dash-separated groups of seven characters.
    public var description: String {
        let base32 = Array(Base32.encode(bytes).utf8)
        var withChecks: [UInt8] = []
        for block in 0..<4 {
            let chunk = Array(base32[(block * 13)..<(block * 13 + 13)])
            withChecks += chunk
            withChecks.append(NodeID.luhn32(chunk))
        }
        var grouped: [UInt8] = []
        for (index, character) in withChecks.enumerated() {
            if index > 0 && index % 7 == 0 { grouped.append(UInt8(ascii: "-")) }
            grouped.append(character)
        }
        return String(decoding: grouped, as: UTF8.self)
    }

    /// The first group of the human form: enough to tell nodes apart in a list, not to trust one.
    public var short: String { String(description.prefix(7)) }

    /// Orders node ids by their bytes; used to break ties deterministically on every node.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Luhn mod N over the base32 alphabet (N = 32), as Syncthing computes it.
    static func luhn32(_ characters: [UInt8]) -> UInt8 {
        var factor = 1
        var sum = 0
        let n = 32
        for character in characters {
            let codePoint = Int(Base32.value(of: character)!)
            var addend = factor * codePoint
            factor = factor == 2 ? 1 : 2
            addend = (addend / n) + (addend % n)
            sum += addend
        }
        let remainder = sum % n
        let checkCodePoint = (n - remainder) % n
        return Base32.alphabet[checkCodePoint]
    }
}
