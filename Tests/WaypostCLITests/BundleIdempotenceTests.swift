import Foundation
import Testing

/// Importing bundles twice or out of order is safe and converges. (Through a relay: ``TrustTests``.)
@Suite struct BundleIdempotenceTests {
    @Test func importingTheSameBundleTwiceReportsNothingNewAndChangesNothing() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
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

    @Test func bundlesImportedInEitherOrderConverge() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let reader = try sandbox.node("reader")
        // A reader that trusts both writers, which can address it; laid out twice below, as two
        // readers that import the same bundles in opposite orders.
        try reader.pair(with: post)
        try reader.pair(with: clinic)
        let readerImage = try reader.image()
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
        // One file each, encrypted for two recipients.
        let fromPost = try post.export(to: [clinic, reader])
        let fromClinic = try clinic.export(to: [post, reader])

        let forward = try sandbox.restore(readerImage, as: "forward")
        let backward = try sandbox.restore(readerImage, as: "backward")
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
        let (post, clinic) = try sandbox.pair()
        let id = try post.succeed(["case", "add", "given_name=Amina"])
        let older = try post.export(to: clinic)
        try clinic.importBundle(older)
        // The clinic's bundle tells the post what it has, so the next bundle holds only the news.
        try post.importBundle(clinic.export(to: post))
        try post.succeed(["case", "set", id, "risk_level=high"])
        try post.succeed(["case", "note", id, "later"])
        let newer = try post.export(to: clinic)

        // A second copy of the clinic as it was before any bundle: the same identity (so it can read the
        // bundles for the clinic) and the same trust, but it sees the post's bundles late.
        let late = try sandbox.restore(Fixtures.pair.get().clinic, as: "late")
        let before = try late.snapshot()
        let heldBack = try late.importBundle(newer)
        #expect(heldBack["applied"] as? Int == 0)
        #expect(heldBack["held_back"] as? Int == heldBack["changes"] as? Int)
        // Nothing shows yet (only the post's bookkeeping moves: when it last sent a bundle, what it has).
        let after = try late.snapshot()
        #expect(after.changes == before.changes)
        #expect(after.cases == before.cases)

        try late.importBundle(older)
        try late.importBundle(newer)
        #expect(try late.json(["case", "show", id]).stdoutData == post.json(["case", "show", id]).stdoutData)
    }
}
