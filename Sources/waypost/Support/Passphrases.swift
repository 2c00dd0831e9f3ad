import Foundation
import WaypostCrypto
import WaypostNode

/// Where the CLI gets passphrases: `$WAYPOST_PASSPHRASE` (as ``PassphraseVariables`` took it out of the
/// environment), else the terminal without echo. The current passphrase is asked for at most once per
/// command.
final class PassphraseSource {
    private var cached: String?
    private let environment = PassphraseVariables.taken

    /// The node's current passphrase.
    func current() throws(CryptoError) -> String {
        if let cached { return cached }
        let passphrase = try PassphrasePrompt.read(prompt: "Passphrase for this node: ", environment: environment)
        cached = passphrase
        return passphrase
    }

    /// A new passphrase: `$WAYPOST_NEW_PASSPHRASE` (for `passphrase` changes) or `$WAYPOST_PASSPHRASE`
    /// (for `init`), else typed twice at the terminal.
    func new(variable: String) throws -> String {
        if let value = environment[variable], !value.isEmpty {
            guard value.count >= 8 else {
                throw Failure.fail("the new passphrase in $\(variable) has fewer than 8 characters; nothing was changed", code: 4)
            }
            return value
        }
        let first = try PassphrasePrompt.read(prompt: "New passphrase: ", environment: [:])
        let second = try PassphrasePrompt.read(prompt: "The same again: ", environment: [:])
        guard first == second else { throw Failure.fail("the two passphrases differ; nothing was changed", code: 4) }
        guard first.count >= 8 else {
            throw Failure.fail("a passphrase needs at least 8 characters; nothing was changed", code: 4)
        }
        return first
    }
}

extension NodeOptions {
    /// Opens the node with its identity key, asking for the passphrase if the key is under one: for
    /// commands that read or write personal data, sign, or read or write bundles.
    func openNodeWithKeys() throws -> (Node, SigningKeyPair, PassphraseSource) {
        let source = PassphraseSource()
        let opened = try Failure.report { () throws(NodeError) in try Node.open(home: nodeHome, passphrase: source.current) }
        let keys = try Failure.report { () throws(NodeError) in try opened.signingKeys(passphrase: source.current) }
        return (opened, keys, source)
    }

    /// Opens the node with its keys, for commands that read personal data.
    func openUnlockedNode() throws -> Node {
        try openNodeWithKeys().0
    }
}
