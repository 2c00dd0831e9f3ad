import Foundation
import Testing

/// A typing mistake in an entry key (issue 15 §4) is refused with the case's entries, never turned into
/// a new household member or referral; entries are found by the first characters of their key and can be
/// removed.
@Suite struct EntryKeyTests {
    private func household(_ node: TestNode, _ id: String) throws -> [String: Any] {
        let shown = try node.json(["case", "show", id]).jsonObject()
        return ((shown["fields"] as? [String: Any])?["household"] as? [String: Any]) ?? [:]
    }

    @Test("case set and resolve with a mistyped entry key change nothing and name the real key; a prefix edits it")
    func mistypedKeysAreRefused() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let id = try post.succeed(["case", "add", "given_name=Amina"])
        let key = try post.succeed(["case", "entry", id, "household", "relationship=daughter", "given_name=Lina"])
        let clinic = try post.succeed(["service", "add", "name=Clinic"])
        let referral = try post.succeed(["case", "entry", id, "referrals", "service=\(clinic)", "status=requested"])
        let before = try post.snapshot()
        // The key with its last three characters dropped and one changed: a mistake, not a prefix.
        let typo = String(key.prefix(4)) + (key.dropFirst(4).first == "a" ? "b" : "a")
        let referralTypo = String(referral.prefix(4)) + (referral.dropFirst(4).first == "a" ? "b" : "a")
        for arguments in [
            ["case", "set", id, "household.\(typo).given_name=Lena"], ["case", "set", id, "referrals.\(referralTypo).status=done"],
            ["resolve", "case", id, "household.\(typo).given_name", "Lena"],
        ] {
            expectFailure(try post.run(arguments), exitCode: 3, mentioning: ["no ", "entry", "nothing was written"])
        }
        let refusal = try post.run(["case", "set", id, "household.\(typo).given_name=Lena"])
        #expect(refusal.stderr.contains(key), "the message names the case's entries: \(refusal)")
        #expect(try post.snapshot() == before)

        // The first characters of the real key are enough.
        try post.succeed(["case", "set", id, "household.\(key.prefix(5)).given_name=Lena"])
        let members = try household(post, id)
        #expect(Array(members.keys) == [key])
        #expect((members[key] as? [String: Any])?["given_name"] as? String == "Lena")
    }

    @Test("case entry --remove takes a household member off the case; case entry needs fields or --remove")
    func entriesCanBeRemoved() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let id = try post.succeed(["case", "add", "given_name=Amina"])
        let lina = try post.succeed(["case", "entry", id, "household", "given_name=Lina"])
        let omar = try post.succeed(["case", "entry", id, "household", "given_name=Omar", "sex=male"])
        #expect(try post.succeed(["case", "entry", id, "household", "--remove", String(omar.prefix(5))]) == "removed household entry \(omar)")
        #expect(Array(try household(post, id).keys) == [lina])
        let list = try post.json(["sql", "SELECT household FROM cases"]).stdout
        #expect(!list.contains(omar) && list.contains(lina))
        let usage = try post.run(["case", "entry", id, "household"])
        #expect(usage.status == 64 || usage.status == 2, "\(usage)")
        expectFailure(try post.run(["case", "entry", id, "household", "--remove", "zzzz"]), exitCode: 3, mentioning: [lina])
    }
}
