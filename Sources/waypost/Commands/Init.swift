import ArgumentParser
import WaypostCrypto
import WaypostNode

/// `waypost init --name NAME`.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create this node: a new identity and an empty replica.",
        discussion: """
            The identity key is put under a passphrase ($WAYPOST_PASSPHRASE, else asked twice without echo), and \
            every value in the replica is encrypted under a key derived from it: a copy of the node's files \
            without the passphrase yields no personal data. Keep the passphrase somewhere safe: without it the \
            replica cannot be read (other nodes still hold their copies). Refuses if the home directory already \
            holds a node; nothing is overwritten.
            """)

    @OptionGroup var node: NodeOptions

    @Option(help: "A name for this node, shown to people (e.g. border-post-north).")
    var name: String

    @Flag(help: .hidden) var passphrase = false

    /// Argon2id at its smallest, for test suites that create hundreds of nodes; it protects nothing.
    @Flag(name: .customLong("insecure-fast-passphrase-for-tests"), help: .hidden) var fastPassphrase = false

    func run() throws {
        let created = try Failure.report {
            do {
                let secret = try PassphraseSource().new(variable: "WAYPOST_PASSPHRASE")
                return try Node.initialize(
                    home: node.nodeHome, name: name, passphrase: secret, limits: fastPassphrase ? .minimum : .moderate)
            } catch let error as NodeError where error.code == .invalidName {
                throw Failure.fail(error.message, code: 4)
            }
        }
        print("created node \(name) in \(node.nodeHome.path)")
        print("node id: \(created.id)")
    }
}

/// `waypost passphrase change`.
struct Passphrase: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the passphrase that protects this node's keys and, through them, its replica.",
        subcommands: [PassphraseChange.self], defaultSubcommand: PassphraseChange.self)
}

/// `waypost passphrase change`.
struct PassphraseChange: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change",
        abstract: "Set or change the passphrase that protects this node's keys.",
        discussion: """
            The current passphrase comes from $WAYPOST_PASSPHRASE or the terminal; the new one from \
            $WAYPOST_NEW_PASSPHRASE or the terminal (typed twice). The keys are re-wrapped; the replica, whose \
            key is derived from the identity key, is not re-encrypted. A wrong passphrase changes nothing. \
            Key files are sealed with Argon2id's current limits, so one an older Waypost sealed with weaker \
            limits is strengthened.
            """)

    @OptionGroup var node: NodeOptions
    @Flag(help: "Refused: the keys protect the replica's personal data and stay under a passphrase.") var remove = false

    /// Argon2id at its smallest, as for `init`: for test suites only; it protects nothing.
    @Flag(name: .customLong("insecure-fast-passphrase-for-tests"), help: .hidden) var fastPassphrase = false

    func run() throws {
        guard !remove else {
            throw Failure.fail(
                "the keys stay under a passphrase: every value in the replica is encrypted under them; nothing was changed",
                code: 4)
        }
        let opened = try node.openNode()
        let source = PassphraseSource()
        try Failure.report {
            let new = try source.new(variable: "WAYPOST_NEW_PASSPHRASE")
            try opened.changePassphrase(current: source.current, new: new, limits: fastPassphrase ? .minimum : .moderate)
        }
        print("passphrase changed; the replica was not re-encrypted (its key is derived from the identity key, which was re-wrapped)")
    }
}

/// `waypost id`.
struct ID: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print this node's id, for other nodes to add as a peer.")

    @OptionGroup var node: NodeOptions

    func run() throws {
        print(try node.openNode().id)
    }
}
