/// The type of a field's values, and how text typed by a person becomes the canonical value stored.
///
/// Every value is stored as canonical text, so two nodes that write "Yes" and "true" write the same
/// value. An empty string clears a register.
public enum ValueType: Sendable, Hashable {
    /// Free text up to a number of characters.
    case text(maxLength: Int)
    /// An ISO 8601 calendar date, `YYYY-MM-DD`.
    case date
    /// `true` or `false` (accepts yes/no, 1/0).
    case boolean
    /// A whole number within a range.
    case integer(ClosedRange<Int64>)
    /// A decimal number within a range, kept as canonical decimal text.
    case decimal(ClosedRange<Double>)
    /// One of a fixed list of lower-case words.
    case choice([String])
    /// A short lower-case code: letters, digits, `_`, `-` and `.` (language tags, protection codes).
    case code
    /// `scheme:value`, for example `unhcr:123-45C`; the scheme is lower-cased.
    case identifier
    /// A telephone number: digits, spaces, `+`, `-`, `(` and `)`.
    case phone
    /// The id of a record in another collection.
    case reference(RecordCollection)

    /// Free text of at most 2,000 characters.
    public static let text = ValueType.text(maxLength: 2000)

    /// A short description for help text and error messages.
    public var summary: String {
        switch self {
        case .text(let maxLength): "text (at most \(maxLength) characters)"
        case .date: "a date, YYYY-MM-DD"
        case .boolean: "true or false"
        case .integer(let range): "a whole number from \(range.lowerBound) to \(range.upperBound)"
        case .decimal(let range): "a number from \(range.lowerBound) to \(range.upperBound)"
        case .choice(let options): "one of " + options.joined(separator: ", ")
        case .code: "a lower-case code (letters, digits, _ - .)"
        case .identifier: "scheme:value, for example unhcr:123-45C"
        case .phone: "a telephone number"
        case .reference(let collection): "the id of a \(collection.name) record"
        }
    }

    /// The canonical form of `input`, or an error naming the field and what it expects.
    ///
    /// - Parameter field: the field's name, used in the error message.
    public func canonical(_ input: String, field: String) throws(CoreError) -> String {
        func refuse() -> CoreError {
            CoreError(.invalidValue, "'\(input)' is not a valid \(field): expected \(summary)")
        }
        switch self {
        case .text(let maxLength):
            guard input.count <= maxLength else {
                throw CoreError(.invalidValue, "\(field) is too long: \(input.count) characters, at most \(maxLength)")
            }
            guard !input.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" }) else {
                throw CoreError(.invalidValue, "\(field) contains control characters; remove them")
            }
            return input
        case .date:
            guard let date = ValueType.parseDate(input) else { throw refuse() }
            return date
        case .boolean:
            switch input.lowercased() {
            case "true", "yes", "y", "1": return "true"
            case "false", "no", "n", "0": return "false"
            default: throw refuse()
            }
        case .integer(let range):
            guard let value = Int64(input), range.contains(value) else { throw refuse() }
            return String(value)
        case .decimal(let range):
            guard let canonical = ValueType.canonicalDecimal(input), let value = Double(canonical), range.contains(value)
            else { throw refuse() }
            return canonical
        case .choice(let options):
            let lowered = input.lowercased()
            guard options.contains(lowered) else { throw refuse() }
            return lowered
        case .code:
            let lowered = input.lowercased()
            guard !lowered.isEmpty, lowered.count <= 64,
                lowered.unicodeScalars.allSatisfy({ ValueType.isCodeScalar($0) })
            else { throw refuse() }
            return lowered
        case .identifier:
            guard let colon = input.firstIndex(of: ":") else { throw refuse() }
            let scheme = input[..<colon].lowercased()
            let value = input[input.index(after: colon)...]
            guard !scheme.isEmpty, scheme.unicodeScalars.allSatisfy({ ValueType.isCodeScalar($0) }),
                !value.isEmpty, value.count <= 128, !value.contains(where: { $0.isWhitespace })
            else { throw refuse() }
            return scheme + ":" + value
        case .phone:
            let allowed = Set("0123456789 +-()")
            guard !input.isEmpty, input.count <= 32, input.allSatisfy({ allowed.contains($0) }),
                input.contains(where: { $0.isNumber })
            else { throw refuse() }
            return input
        case .reference:
            do {
                return try RecordID(parsing: input).text
            } catch {
                throw refuse()
            }
        }
    }

    private static func isCodeScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "0"..."9", "_", "-", ".": true
        default: false
        }
    }

    /// Validates `YYYY-MM-DD` against the proleptic Gregorian calendar.
    static func parseDate(_ input: String) -> String? {
        // YYYY-MM-DD in ASCII digits, read byte by byte: this runs for every date a merge validates.
        let bytes = Array(input.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), (1...12).contains(month), year >= 1
        else { return nil }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...lengths[month - 1]).contains(day) else { return nil }
        return input
    }

    /// `-12.3400` becomes `-12.34`; `+5.` and `1e3` are refused; `-0` becomes `0`.
    static func canonicalDecimal(_ input: String) -> String? {
        var text = Substring(input)
        var negative = false
        if text.first == "-" {
            negative = true
            text = text.dropFirst()
        }
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let whole = pieces.first, !whole.isEmpty,
            whole.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        var fraction = pieces.count == 2 ? pieces[1] : ""
        if pieces.count == 2 && fraction.isEmpty { return nil }
        guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        while fraction.last == "0" { fraction = fraction.dropLast() }
        var wholeDigits = whole.drop { $0 == "0" }
        if wholeDigits.isEmpty { wholeDigits = "0" }
        var result = String(wholeDigits)
        if !fraction.isEmpty { result += "." + fraction }
        if negative && result != "0" { result = "-" + result }
        return result
    }
}
