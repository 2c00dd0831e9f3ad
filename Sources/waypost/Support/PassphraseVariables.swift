import WaypostCrypto

/// `$WAYPOST_PASSPHRASE` and `$WAYPOST_NEW_PASSPHRASE`, taken out of the process's environment as
/// `waypost` starts (``Waypost/main()`` reads ``taken`` before anything else): a long-running `serve`
/// does not keep the passphrase in `/proc/PID/environ`, and no process it starts inherits it.
enum PassphraseVariables {
    /// The variables a passphrase is read from.
    static let names = [PassphrasePrompt.environmentVariable, "WAYPOST_NEW_PASSPHRASE"]

    /// Their values (those that were set), taken out of the environment and zeroed there the first time
    /// this is read.
    static let taken: [String: String] = names.reduce(into: [:]) { values, name in
        values[name] = EnvironmentSecret.take(name)
    }
}
