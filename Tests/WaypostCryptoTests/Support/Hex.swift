/// Hexadecimal text for test vectors.
enum Hex {
    /// The bytes that `text` spells, ignoring white space.
    static func bytes(_ text: some StringProtocol) -> [UInt8] {
        let digits = text.unicodeScalars.filter { !$0.properties.isWhitespace }.map { Character($0) }
        precondition(digits.count % 2 == 0, "odd number of hex digits in '\(text)'")
        return stride(from: 0, to: digits.count, by: 2).map { index in
            UInt8(String(digits[index...index + 1]), radix: 16)!
        }
    }

    /// Lower-case hex for `bytes`.
    static func string(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
