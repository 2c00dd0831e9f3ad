import ArgumentParser
import WaypostNode

/// `waypost init --name NAME`.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create this node: a new identity and an empty replica.",
        discussion: "Refuses if the home directory already holds a node; nothing is overwritten.")

    @OptionGroup var node: NodeOptions

    @Option(help: "A name for this node, shown to people (e.g. border-post-north).")
    var name: String

    @Flag(help: "Put the identity key under a passphrase ($WAYPOST_PASSPHRASE, else asked twice without echo).")
    var passphrase = false

    func run() throws {
        let created = try Failure.report {
            do {
                let secret = passphrase ? try PassphraseSource().new(variable: "WAYPOST_PASSPHRASE") : nil
                return try Node.initialize(home: node.nodeHome, name: name, passphrase: secret)
            } catch let error as NodeError where error.code == .invalidName {
                throw Failure.fail(error.message, code: 4)
            }
        }
        print("created node \(name) in \(node.nodeHome.path)")
        print("node id: \(created.id)")
        if !passphrase {
            print("note: the identity key is not under a passphrase; add one with 'waypost passphrase'")
        }
    }
}

/// `waypost passphrase [--remove]`.
struct Passphrase: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set or change the passphrase that protects this node's keys.",
        discussion: """
            The current passphrase comes from $WAYPOST_PASSPHRASE or the terminal; the new one from \
            $WAYPOST_NEW_PASSPHRASE or the terminal (typed twice). The keys are re-wrapped; the replica is \
            not touched. A wrong passphrase changes nothing.
            """)

    @OptionGroup var node: NodeOptions
    @Flag(help: "Store the keys without a passphrase.") var remove = false

    func run() throws {
        let opened = try node.openNode()
        let source = PassphraseSource()
        try Failure.report {
            let new = remove ? nil : try source.new(variable: "WAYPOST_NEW_PASSPHRASE")
            try opened.changePassphrase(current: source.current, new: new)
        }
        print(remove ? "the keys are no longer under a passphrase" : "passphrase changed")
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
