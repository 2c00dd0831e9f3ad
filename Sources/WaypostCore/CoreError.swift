/// An error raised by the pure core: a value that does not fit its field, a field that does not exist,
/// an identifier that is not well formed.
///
/// The message is written for the person at the keyboard: it says what was wrong and what to do.
public struct CoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of mistake this is, for callers that branch on it.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// A value does not fit its field's type.
        public static let invalidValue = Code("invalid-value")
        /// A field name is not part of the collection's schema.
        public static let unknownField = Code("unknown-field")
        /// An operation does not apply to the field's merge kind (adding to a register, say).
        public static let wrongKind = Code("wrong-kind")
        /// A record id, entry key or node id is not well formed.
        public static let malformedIdentifier = Code("malformed-identifier")
        /// A collection name is not one of `case` or `service`.
        public static let unknownCollection = Code("unknown-collection")
        /// A number read from a file or the wire is outside its field's range (a sequence number past
        /// 2^63 - 1, say), or numbers that must add up within a range do not.
        public static let outOfRange = Code("out-of-range")
        public var description: String { name }
    }

    /// What kind of mistake this is.
    public let code: Code
    /// One line a person can act on.
    public let message: String

    /// Makes an error with a code and a message a person can act on.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
