import Foundation
import Testing
import WaypostCore

/// Bad input is refused with one line on stderr, the documented exit code, and no change.
///
/// Exit codes (README): 1 failure, 2 usage, 3 not found, 4 invalid input, 5 bundle refused.
@Suite struct BadInputTests {
    /// A valid bundle from a node of its own (a case with a note, a service), made once for every test.
    static let foreignBundle = Result { () throws -> [UInt8] in
        let sandbox = try Sandbox()  // removed when this closure returns
        let other = try sandbox.node("clinic")
        let otherCase = try other.succeed(["case", "add", "given_name=Omar", "languages+=ar"])
        try other.succeed(["case", "note", otherCase, "seen"])
        try other.succeed(["service", "add", "name=Shelter"])
        return Array(try Data(contentsOf: URL(fileURLWithPath: other.export(to: nil))))
    }

    /// A node holding one case and one service, and a bundle from another node that it has not imported.
    struct Setup {
        let sandbox: Sandbox
        let node: TestNode
        let caseID: String
        let bundle: [UInt8]

        init() throws {
            bundle = try BadInputTests.foreignBundle.get()
            sandbox = try Sandbox()
            node = try sandbox.node("post")
            caseID = try node.succeed(["case", "add", "given_name=Amina", "date_of_birth=1991-04-12", "risk_level=low"])
            try node.succeed(["service", "add", "name=Clinic", "occupied+=1"])
        }

        /// Writes `bytes` to a new file in the sandbox and returns its path.
        func write(_ bytes: [UInt8], _ name: String) throws -> String {
            let path = sandbox.path(name)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
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

    @Test func aTruncatedBundleIsRefusedWhole() throws {
        let setup = try Setup()
        let size = setup.bundle.count
        let cuts = [0, 5, 8, 9, 10, 14, 40, size / 2, size - 5, size - 1]
        let files = try cuts.map { cut in try setup.write(Array(setup.bundle.prefix(cut)), "cut-\(cut).wpb") }
        try setup.expectBundlesRefused(files, mentioning: ["nothing was imported"])
    }

    @Test func aBundleWithOneByteFlippedIsRefusedWhole() throws {
        let setup = try Setup()
        let size = setup.bundle.count
        let positions = [0, 7, 9, 10, 16, 50, size / 2, size - 10, size - 1]
        let files = try positions.map { position in
            var damaged = setup.bundle
            damaged[position] ^= 0x20
            return try setup.write(damaged, "flip-\(position).wpb")
        }
        try setup.expectBundlesRefused(files)
    }

    @Test func aFileThatIsNotABundleIsRefused() throws {
        let setup = try Setup()
        let text = try setup.write(Array("case,given_name\n1,Amina\n".utf8), "cases.csv")
        try setup.expectBundlesRefused([text], mentioning: ["not a Waypost bundle"])
    }

    @Test func aMissingBundleFileIsNotFound() throws {
        let setup = try Setup()
        try setup.expectRefused(
            ["bundle", "import", setup.sandbox.path("no-such.wpb")], exitCode: 3,
            mentioning: ["no-such.wpb"])
    }

    @Test func aBundleOfANewerFormatVersionIsRefused() throws {
        let setup = try Setup()
        var newer = setup.bundle
        newer[8] = 0
        newer[9] = 99  // the format version, big-endian, after the 8-byte magic
        let file = try setup.write(newer, "v99.wpb")
        try setup.expectBundlesRefused([file], mentioning: ["version 99"])
    }

    @Test func theUntouchedBundleStillImportsAfterwards() throws {
        // The refusals above are the bundle's fault, not the node's: the original bytes import fine.
        let setup = try Setup()
        let file = try setup.write(setup.bundle, "good.wpb")
        let report = try setup.node.importBundle(file)
        #expect(report["applied"] as? Int == report["changes"] as? Int)
        #expect((report["applied"] as? Int ?? 0) > 0)
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

    @Test func bundleExportNeedsExactlyOneOfToAndAll() throws {
        let setup = try Setup()
        try setup.node.pair(with: setup.sandbox.node("clinic-2"))
        let out = setup.sandbox.path("either.wpb")
        try setup.expectUnchanged {
            try setup.refuse(["bundle", "export", "--out", out], exitCode: 2, mentioning: ["--to", "--all"])
            try setup.refuse(["bundle", "export", "--to", "clinic-2", "--all", "--out", out], exitCode: 2)
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func otherUsageErrorsAreOneLineWithExitCodeTwo() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("post")
        expectFailure(try node.run(["init"]), exitCode: 2, mentioning: ["--name"])
        expectFailure(try node.run(["case", "add", "--bogus"]), exitCode: 2, mentioning: ["--bogus"])
        expectFailure(try node.run(["frobnicate"]), exitCode: 2, mentioning: ["frobnicate"])
        expectFailure(try node.run(["log", "--limit", "many"]), exitCode: 2, mentioning: ["many"])
    }
}
