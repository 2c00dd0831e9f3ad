import Foundation
import Testing

/// Importing bundles twice, through a relay, or out of order is safe and converges.
@Suite struct BundleIdempotenceTests {
    @Test func importingTheSameBundleTwiceReportsNothingNewAndChangesNothing() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let clinic = try sandbox.node("clinic")
        try post.pair(with: clinic)
        let id = try post.succeed(["case", "add", "given_name=Amina", "languages+=ar"])
        try post.succeed(["case", "note", id, "first visit"])
        try post.succeed(["service", "add", "name=Clinic", "occupied+=3"])
        let file = try post.export(to: clinic)

        let first = try clinic.importBundle(file)
        let changes = try #require(first["changes"] as? Int)
        #expect(changes > 0)
        #expect(first["applied"] as? Int == changes)
        #expect(first["duplicates"] as? Int == 0)
        let afterFirst = try clinic.content()

        let second = try clinic.importBundle(file)
        #expect(second["applied"] as? Int == 0)
        #expect(second["duplicates"] as? Int == changes)
        #expect(second["held_back"] as? Int == 0)
        #expect(try clinic.content() == afterFirst)

        // The text form says so too, and a third import still changes nothing.
        let text = try clinic.succeed(["bundle", "import", file])
        #expect(text.hasPrefix("nothing new"), "\(text)")
        #expect(try clinic.content() == afterFirst)
        #expect(try clinic.json(["case", "show", id]).stdoutData == post.json(["case", "show", id]).stdoutData)
    }

    @Test("A's changes reach C through a bundle B exported with --all")
    func changesTravelThroughARelay() throws {
        let sandbox = try Sandbox()
        let a = try sandbox.node("a")
        let b = try sandbox.node("b")
        let c = try sandbox.node("c")
        try a.pair(with: b)
        try b.pair(with: c)
        let aID = a.nodeID

        let id = try a.succeed(["case", "add", "given_name=Yusuf", "risk_level=high"])
        try a.succeed(["case", "note", id, "written at a"])
        try a.send(to: b)
        try b.succeed(["case", "note", id, "written at b"])

        let report = try c.importBundle(b.export(to: nil))
        #expect(report["applied"] as? Int == report["changes"] as? Int)
        let onC = try c.json(["case", "show", id])
        let fields = try #require(try onC.jsonObject()["fields"] as? [String: Any])
        #expect(fields["given_name"] as? String == "Yusuf")
        #expect(
            (fields["notes"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == [
                "written at a", "written at b",
            ])
        #expect(try b.json(["case", "show", id]).stdoutData == onC.stdoutData)
        // C has every change a wrote, under a's origin, though it never met a.
        let versions = try #require(try c.json(["status"]).jsonObject()["versions"] as? [String: Any])
        #expect(
            versions[aID] as? Int == (try a.json(["status"]).jsonObject()["versions"] as? [String: Any])?[aID] as? Int)
        let log = try c.json(["log", id]).jsonArray().compactMap { $0 as? [String: Any] }
        #expect(log.contains { $0["origin"] as? String == aID })

        // Once a hears from c, the same state is on all three.
        try a.importBundle(c.export(to: nil))
        #expect(try a.json(["case", "show", id]).stdoutData == onC.stdoutData)
    }

    @Test func bundlesImportedInEitherOrderConverge() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let clinic = try sandbox.node("clinic")
        try post.pair(with: clinic)
        let id = try post.succeed(["case", "add", "given_name=Amina", "languages+=ar"])
        let service = try post.succeed(["service", "add", "name=Shelter", "occupied+=1"])
        try post.send(to: clinic)

        // Apart: concurrent edits of a register, a set, a counter and the notes.
        try post.succeed(["case", "set", id, "risk_level=high", "languages-=ar", "languages+=fr"])
        try post.succeed(["case", "note", id, "post note"])
        try post.succeed(["service", "set", service, "occupied+=2"])
        try clinic.succeed(["case", "set", id, "risk_level=medium", "languages+=en"])
        try clinic.succeed(["case", "note", id, "clinic note"])
        try clinic.succeed(["service", "set", service, "occupied+=5"])
        let fromPost = try post.export(to: nil)
        let fromClinic = try clinic.export(to: nil)

        let forward = try sandbox.node("forward")
        let backward = try sandbox.node("backward")
        try forward.importBundle(fromPost)
        try forward.importBundle(fromClinic)
        try backward.importBundle(fromClinic)
        try backward.importBundle(fromPost)

        let expected = try forward.json(["case", "show", id])
        #expect(try backward.json(["case", "show", id]).stdoutData == expected.stdoutData)
        #expect(
            try backward.json(["service", "show", service]).stdoutData
                == forward.json(["service", "show", service]).stdoutData)
        #expect(try backward.json(["conflicts"]).stdoutData == forward.json(["conflicts"]).stdoutData)
        #expect(try backward.content() == forward.content())
        // And it is the state the two writers reach between themselves.
        try post.importBundle(fromClinic)
        #expect(try post.json(["case", "show", id]).stdoutData == expected.stdoutData)
        let fields = try #require(try expected.jsonObject()["fields"] as? [String: Any])
        #expect(fields["languages"] as? [String] == ["en", "fr"])
    }

    @Test("a newer bundle imported before an older one from the same node is held back, then applies in full")
    func anIncrementalBundleImportedFirstIsHeldBackUntilTheOlderOne() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let clinic = try sandbox.node("clinic")
        try post.pair(with: clinic)
        let id = try post.succeed(["case", "add", "given_name=Amina"])
        let older = try post.export(to: clinic)
        try clinic.importBundle(older)
        // The clinic's bundle tells the post what it has, so the next bundle holds only the news.
        try post.importBundle(clinic.export(to: post))
        try post.succeed(["case", "set", id, "risk_level=high"])
        try post.succeed(["case", "note", id, "later"])
        let newer = try post.export(to: clinic)

        let late = try sandbox.node("late")
        let before = try late.snapshot()
        let heldBack = try late.importBundle(newer)
        #expect(heldBack["applied"] as? Int == 0)
        #expect(heldBack["held_back"] as? Int == heldBack["changes"] as? Int)
        #expect(try late.snapshot() == before)

        try late.importBundle(older)
        try late.importBundle(newer)
        #expect(try late.json(["case", "show", id]).stdoutData == post.json(["case", "show", id]).stdoutData)
    }
}
