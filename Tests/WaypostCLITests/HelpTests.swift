import Foundation
import Testing
import WaypostCore

/// Every command explains itself with `--help`.
@Suite struct HelpTests {
    /// Each command path, with words its help must contain (from its abstract).
    static let commands: [String: [String]] = [
        "": ["sync", "bundle", "Exit codes"],
        "init": ["Create this node", "--name"],
        "id": ["node's id", "peer"],
        "case": ["case files", "add", "set", "note", "consent", "entry", "show", "list"],
        "case add": ["Create a case"],
        "case set": ["Change fields of a case"],
        "case note": ["Append a note"],
        "case consent": ["consent decision", "--purpose", "--given"],
        "case entry": ["household", "referrals"],
        "case show": ["current values", "--json"],
        "case list": ["List every case", "--json"],
        "service": ["service directory", "add", "set", "show", "list"],
        "service add": ["Create a service"],
        "service set": ["Change fields of a service"],
        "service show": ["current values", "--json"],
        "service list": ["List every service", "--json"],
        "conflicts": ["conflicted field", "--json"],
        "resolve": ["supersedes"],
        "peer": ["nodes this one exchanges", "add", "list", "remove"],
        "peer add": ["Add a peer"],
        "peer list": ["List the peers", "--json"],
        "peer remove": ["Remove a peer"],
        "bundle": ["Carry changes", "export", "import"],
        "bundle export": ["Write the changes", "--to", "--all", "--out"],
        "bundle import": ["Merge a bundle"],
        "status": ["counts", "--json"],
        "log": ["history of changes", "--json"],
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
        for word in words {
            #expect(
                result.stdout.contains(word), "'waypost \(path.joined(separator: " ")) --help' does not mention \(word)"
            )
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
        #expect(groups.count == 5)
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
