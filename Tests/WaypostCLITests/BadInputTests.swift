import Foundation
import Testing
import WaypostCore

/// Bad input is refused with one line on stderr, the documented exit code, and no change.
///
/// Exit codes (README): 1 failure, 2 usage, 3 not found, 4 invalid input, 5 bundle refused, 6 disk full,
/// 7 wrong passphrase.
@Suite struct BadInputTests {
    /// The post of ``Fixtures/sites``: a node holding one case and one service, with the clinic as a peer.
    /// (Damaged, foreign and untrusted bundles are ``TrustTests``'.)
    struct Setup {
        let sandbox: Sandbox
        let node: TestNode
        let caseID: String

        init() throws {
            let sites = try Fixtures.sites.get()
            sandbox = try Sandbox()
            node = try sandbox.restore(sites.post)
            caseID = sites.postCase
        }

        /// Writes `bytes` to a new file in the sandbox and returns its path.
        func write(_ bytes: [UInt8], _ name: String) throws -> String {
            try sandbox.write(bytes, name)
        }

        /// Runs `body` and expects the replica the same afterwards.
        func expectUnchanged(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) throws {
            let before = try node.snapshot(sourceLocation: sourceLocation)
            try body()
            #expect(try node.snapshot(sourceLocation: sourceLocation) == before, sourceLocation: sourceLocation)
        }

        /// Runs `arguments` and expects the failure.
        func refuse(
            _ arguments: [String], exitCode: Int32, mentioning words: [String] = [],
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            expectFailure(
                try node.run(arguments), exitCode: exitCode, mentioning: words, sourceLocation: sourceLocation)
        }

        /// Runs `arguments`, expects the failure, and expects the replica unchanged.
        func expectRefused(
            _ arguments: [String], exitCode: Int32, mentioning words: [String] = [],
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            try expectUnchanged(sourceLocation: sourceLocation) {
                try refuse(arguments, exitCode: exitCode, mentioning: words, sourceLocation: sourceLocation)
            }
        }

        /// Imports each file, expecting every one refused (exit 5), then expects the replica unchanged.
        func expectBundlesRefused(
            _ files: [String], mentioning words: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            try expectUnchanged(sourceLocation: sourceLocation) {
                for file in files {
                    try refuse(
                        ["bundle", "import", file], exitCode: 5, mentioning: [file] + words,
                        sourceLocation: sourceLocation)
                }
            }
        }
    }

    @Test func aDateThatDoesNotExistIsInvalidInput() throws {
        let setup = try Setup()
        try setup.expectUnchanged {
            try setup.refuse(
                ["case", "set", setup.caseID, "date_of_birth=2023-02-29"], exitCode: 4,
                mentioning: ["2023-02-29", "date_of_birth"])
            try setup.refuse(["case", "add", "given_name=Lina", "date_of_birth=2023-02-29"], exitCode: 4)
            // All edits of one command or none: the valid edit beside the bad date is not recorded either.
            try setup.refuse(
                ["case", "set", setup.caseID, "given_name=Other", "date_of_birth=2023-02-29"], exitCode: 4)
        }
    }

    @Test func aValueOutsideAChoiceListIsInvalidInput() throws {
        let setup = try Setup()
        try setup.expectRefused(
            ["case", "set", setup.caseID, "risk_level=extreme"], exitCode: 4,
            mentioning: ["extreme", "low", "medium", "high", "critical"])
    }

    @Test func anUnknownFieldIsInvalidInputAndTheMessageNamesTheKnownFields() throws {
        let setup = try Setup()
        let known = Schema.waypost[.caseFile].fields.map(\.name)
        try setup.expectUnchanged {
            try setup.refuse(
                ["case", "set", setup.caseID, "favourite_colour=red"], exitCode: 4,
                mentioning: ["favourite_colour"] + known)
            try setup.refuse(["case", "add", "favourite_colour=red"], exitCode: 4, mentioning: known)
        }
    }

    @Test func aFileThatIsNotABundleIsRefused() throws {
        let setup = try Setup()
        let text = try setup.write(Array("case,given_name\n1,Amina\n".utf8), "cases.csv")
        try setup.expectBundlesRefused([text], mentioning: ["not a Waypost bundle"])
    }

    @Test func aMissingBundleFileIsNotFound() throws {
        let setup = try Setup()
        try setup.expectUnchanged {
            try setup.refuse(
                ["bundle", "import", setup.sandbox.path("no-such.wpb")], exitCode: 3, mentioning: ["no-such.wpb"])
            try setup.refuse(
                ["bundle", "recipients", setup.sandbox.path("no-such.wpb")], exitCode: 3, mentioning: ["no-such.wpb"])
        }
    }

    @Test func initTwiceInOneHomeIsRefusedAndKeepsTheNode() throws {
        let setup = try Setup()
        #expect(try setup.node.succeed(["id"]) == setup.node.nodeID)
        try setup.expectRefused(["init", "--name", "again"], exitCode: 1, mentioning: ["already"])
        #expect(try setup.node.succeed(["id"]) == setup.node.nodeID)
        let status = try setup.node.json(["status"]).jsonObject()
        #expect(status["name"] as? String == "post")
    }

    @Test func anEmptyNodeNameIsInvalidInputAndCreatesNothing() throws {
        let sandbox = try Sandbox()
        let home = sandbox.home("unnamed")
        expectFailure(try home.run(["init", "--name", ""]), exitCode: 4, mentioning: ["--name"])
        #expect(!FileManager.default.fileExists(atPath: home.home))
    }

    @Test func exportingToAnUnknownPeerIsNotFound() throws {
        let setup = try Setup()
        let out = setup.sandbox.path("for-nobody.wpb")
        try setup.expectRefused(
            ["bundle", "export", "--to", "nobody", "--out", out], exitCode: 3, mentioning: ["nobody"])
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func commandsOnAHomeWithoutANodeAreNotFound() throws {
        let sandbox = try Sandbox()
        let empty = sandbox.home("empty")
        let commands: [[String]] = [
            ["id"], ["status"], ["status", "--json"], ["case", "list", "--json"], ["case", "add", "given_name=A"],
            ["conflicts"], ["peer", "list"], ["log"], ["bundle", "export", "--all", "--out", sandbox.path("x.wpb")],
        ]
        for command in commands {
            expectFailure(try empty.run(command), exitCode: 3, mentioning: ["waypost init"])
        }
        // Through --home as well as $WAYPOST_HOME.
        expectFailure(try sandbox.run(["status", "--home", empty.home]), exitCode: 3, mentioning: [empty.home])
        #expect(!FileManager.default.fileExists(atPath: empty.home))
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("x.wpb")))
    }

    @Test func changingACaseThatDoesNotExistIsNotFound() throws {
        let setup = try Setup()
        try setup.expectUnchanged {
            try setup.refuse(
                ["case", "set", "zzzz-zzzz-zzzz-zzzz", "given_name=Lina"], exitCode: 3, mentioning: ["zzzz"])
            try setup.refuse(["case", "note", "zzzz", "hello"], exitCode: 3)
            try setup.refuse(["case", "show", "zzzz"], exitCode: 3)
        }
    }

    @Test("bundle export needs --to or --all; both together are a bundle of every change for the peers")
    func bundleExportNeedsToOrAll() throws {
        let setup = try Setup()
        let out = setup.sandbox.path("either.wpb")
        try setup.expectRefused(["bundle", "export", "--out", out], exitCode: 2, mentioning: ["--to", "--all"])
        #expect(!FileManager.default.fileExists(atPath: out))
        let changes = try setup.node.json(["status"]).jsonObject()["changes"] as? Int
        let wrote = try setup.node.succeed(["bundle", "export", "--to", "clinic", "--all", "--out", out])
        #expect(wrote.hasPrefix("wrote \(changes ?? -1) changes") && wrote.contains("for clinic"), "\(wrote)")
        #expect(try setup.node.succeed(["bundle", "recipients", out]).hasPrefix(Fixtures.sites.get().clinicID))
    }

    @Test func otherUsageErrorsAreOneLineWithExitCodeTwo() throws {
        let node = try Setup().node
        expectFailure(try node.run(["init"]), exitCode: 2, mentioning: ["--name"])
        expectFailure(try node.run(["case", "add", "--bogus"]), exitCode: 2, mentioning: ["--bogus"])
        expectFailure(try node.run(["frobnicate"]), exitCode: 2, mentioning: ["frobnicate"])
        expectFailure(try node.run(["log", "--limit", "many"]), exitCode: 2, mentioning: ["many"])
    }
}
