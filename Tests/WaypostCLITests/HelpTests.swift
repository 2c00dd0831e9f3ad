import Foundation
import Testing
import WaypostCore

/// Every command explains itself with `--help`.
@Suite struct HelpTests {
    /// Each command path, with words its help must contain (from its abstract).
    static let commands: [String: [String]] = [
        "": ["sync", "bundle", "Exit codes", "6 disk full", "7 wrong passphrase"],
        "init": ["Create this node", "--name", "$WAYPOST_PASSPHRASE", "encrypted"],
        "id": ["node's id", "peer"],
        "passphrase": ["passphrase", "change"],
        "passphrase change": ["passphrase", "$WAYPOST_PASSPHRASE", "$WAYPOST_NEW_PASSPHRASE", "not re-encrypted"],
        "sql": ["read-only SQL", "cases", "services", "standard input", "--json", "--reason"],
        "audit": ["signed history", "verify", "access"],
        "audit verify": ["hash chain", "origin", "sequence", "--json"],
        "audit access": ["who looked", "append-only", "never field values", "--json"],
        "case": ["case files", "add", "set", "note", "consent", "entry", "show", "list"],
        "case add": ["Create a case"],
        "case set": ["Change fields of a case"],
        "case note": ["Append a note"],
        "case consent": ["consent decision", "--purpose", "--given"],
        "case entry": ["household", "referrals"],
        "case show": ["current values", "--json"],
        "case list": ["List every case", "--json"],
        "case erase": ["Erase a case's values on every node", "--reason", "erase directive", "admins"],
        "service": ["service directory", "add", "set", "show", "list"],
        "service add": ["Create a service"],
        "service set": ["Change fields of a service"],
        "service show": ["current values", "--json"],
        "service list": ["List every service", "--json"],
        "conflicts": ["conflicted field", "--json"],
        "resolve": ["supersedes"],
        "peer": ["nodes this one exchanges", "add", "address", "list", "remove", "seal", "passphrase"],
        "peer add": ["Add a peer", "--admin", "--address"],
        "peer address": ["Set or clear where a peer listens", "--clear"],
        "serve": ["listen for peers", "--listen", "--discover", "SIGTERM", "no personal data", "--idle-timeout", "--max-connections"],
        "sync": ["Sync with one peer now", "HOST:PORT", "--json", "resumes"],
        "peer list": ["List the trusted nodes", "pairwise", "enrolled", "--json"],
        "peer remove": ["Remove a peer"],
        "peer seal": ["Accept the peers", "peer list", "network list", "sqlite3"],
        "network": ["network key", "create", "join", "enroll", "list", "certificates travel inside bundles"],
        "network create": ["Create a network key", "admin", "--name"],
        "network join": ["Trust the nodes a network enrolls", "<network-id>"],
        "network enroll": ["membership certificate", "--name", "--role", "field", "admin", "--network"],
        "network list": ["networks this node has joined", "members", "--json"],
        "network revoke": [
            "Revoke a lost or seized node", "<target>", "--reason", "--last-accepted", "<sequence>", "signature",
            "peer add --admin", "--json",
        ],
        "bundle": ["Carry changes", "encrypted", "export", "import", "recipients"],
        "bundle export": ["Write the changes", "encrypted", "signed", "--to", "--all", "--out", "backup"],
        "bundle import": ["Decrypt, check and merge a bundle", "does not trust", "--json"],
        "bundle recipients": ["whom a bundle is for", "without decrypting", "--json"],
        "status": ["counts", "--json"],
        "log": ["history of changes", "--json"],
        "retention": ["closed cases", "set", "show", "run", "every 24 hours", "conflict", "not synced"],
        "retention set": ["Set or clear how long closed cases are kept", "--closed-for", "--clear", "only 'case' is supported", "passphrase"],
        "retention show": ["retention policy", "no passphrase", "--json"],
        "backup": ["brings this node back", "--out", "passphrase", "snapshot", "'serve' runs", "0600", "erased"],
        "restore": ["Bring a node back", "--replace", "--resume", "damaged", "refuses every local write", "equivocation", "passphrase"],
        "retention run": ["Erase now the cases", "none are due", "exits 0", "--json"],
    ]

    @Test(arguments: commands.keys.sorted())
    func everyCommandPrintsHelp(_ command: String) throws {
        let path = command.split(separator: " ").map(String.init)
        let words = Self.commands[command] ?? []
        let sandbox = try Sandbox()
        let result = try sandbox.run(path + ["--help"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
        #expect(result.stdout.contains("USAGE: waypost" + path.map { " " + $0 }.joined()), "\(result.stdout)")
        // Help is wrapped to the terminal's width: compare with every run of spaces and newlines as one space.
        let flowing = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for word in words {
            #expect(flowing.contains(word), "'waypost \(path.joined(separator: " ")) --help' does not mention \(word)")
        }
        // Asking for help touches no node.
        #expect(!FileManager.default.fileExists(atPath: sandbox.path(".waypost")))
    }

    @Test("the table above covers every command the help lists")
    func everyListedCommandIsCovered() throws {
        let sandbox = try Sandbox()
        // The root and the groups of the table (the commands that have subcommands in it).
        let groups = Self.commands.keys.filter { group in
            group.isEmpty || Self.commands.keys.contains { $0.hasPrefix(group + " ") }
        }
        var found: Set<String> = []
        for group in groups.sorted() {
            let path = group.split(separator: " ").map(String.init)
            let help = try sandbox.run(path + ["--help"])
            try #require(help.status == 0, "\(help)")
            let section = try #require(help.stdout.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first)
            for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
                // A subcommand line starts with two spaces; its wrapped summary lines with more.
                guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
                found.insert((path + [String(line.dropFirst(2).prefix { !$0.isWhitespace })]).joined(separator: " "))
            }
        }
        #expect(groups.count == 9)  // the root, case, service, peer, network, bundle, passphrase, audit, retention
        #expect(
            found.subtracting(Self.commands.keys).isEmpty,
            "not in the table: \(found.subtracting(Self.commands.keys).sorted())")
        #expect(Set(Self.commands.keys).subtracting(found).subtracting([""]).isEmpty)
    }

    @Test(arguments: [RecordCollection.caseFile, .service])
    func addAndSetHelpListTheSchemaFields(_ collection: RecordCollection) throws {
        let sandbox = try Sandbox()
        for command in ["add", "set"] {
            let result = try sandbox.run([collection.name, command, "--help"])
            #expect(result.status == 0, "\(result)")
            for field in Schema.waypost[collection].fields {
                #expect(
                    result.stdout.contains("\n  \(field.name) "),
                    "'\(collection.name) \(command) --help' does not list \(field.name)")
                #expect(result.stdout.contains(field.kind.rawValue))
            }
        }
    }

    @Test func helpSubcommandAndNoArgumentsPrintHelpToo() throws {
        let sandbox = try Sandbox()
        let viaHelp = try sandbox.run(["help", "case", "add"])
        #expect(viaHelp.status == 0, "\(viaHelp)")
        #expect(viaHelp.stdout.contains("given_name"))
        let bare = try sandbox.run([])
        #expect(bare.status == 0, "\(bare)")
        #expect(bare.stdout.contains("SUBCOMMANDS"))
    }
}
