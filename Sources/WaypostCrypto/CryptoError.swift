/// An error from the cryptography layer, with a message a person can act on.
public struct CryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem.
    public enum Code: String, Sendable, Hashable {
        /// libsodium could not be initialised.
        case unavailable
        /// A key file or key has the wrong size or form.
        case malformedKey = "malformed-key"
        /// Bytes that should hold sealed, encrypted or protected data are not in the expected form: they are
        /// damaged, or were not written by Waypost.
        case malformed
        /// Data ends before its end is authenticated: a file was cut short (an interrupted copy, a full disk).
        case truncated
        /// A signature, tag or sealed message did not verify: the data was changed after it was made, or it
        /// was made with another key.
        case authenticationFailed = "authentication-failed"
        /// The passphrase does not open the key file (or the file's encrypted part is damaged).
        case wrongPassphrase = "wrong-passphrase"
        /// No passphrase could be had: no environment variable, no terminal, or an empty passphrase.
        case noPassphrase = "no-passphrase"
        /// The person cancelled passphrase entry (Ctrl-C or Ctrl-D at the prompt).
        case cancelled
        /// A key file has a format version this build does not read.
        case unsupportedVersion = "unsupported-version"
        /// There was not enough memory to derive a key from a passphrase (Argon2id).
        case insufficientMemory = "insufficient-memory"
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

    /// The message.
    public var description: String { message }
}
