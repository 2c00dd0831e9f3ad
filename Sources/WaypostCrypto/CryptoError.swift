/// An error from the cryptography layer, with a message a person can act on.
public struct CryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem.
    public enum Code: String, Sendable, Hashable {
        /// libsodium could not be initialised.
        case unavailable
        /// A key file or key has the wrong size or form.
        case malformedKey = "malformed-key"
    }

    /// What kind of problem.
    public let code: Code
    /// One line a person can act on.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
