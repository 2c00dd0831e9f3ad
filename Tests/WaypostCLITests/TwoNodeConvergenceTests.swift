import Foundation
import Testing

/// Two sites, a border post and a clinic, edit while apart and converge when bundles meet.
@Suite struct TwoNodeConvergenceTests {
    /// Two peered nodes in one sandbox, and a case created on the post and carried to the clinic.
    struct Sites {
        let sandbox: Sandbox
        let post: TestNode
        let clinic: TestNode

        init() throws {
            sandbox = try Sandbox()
            (post, clinic) = try sandbox.pair()
        }

        /// Sends each node's news to the other, clinic's bundle written before post's import.
        func exchange(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let fromPost = try post.export(to: clinic, sourceLocation: sourceLocation)
            let fromClinic = try clinic.export(to: post, sourceLocation: sourceLocation)
            try clinic.importBundle(fromPost, sourceLocation: sourceLocation)
            try post.importBundle(fromClinic, sourceLocation: sourceLocation)
        }

        /// `show --json` of a record on both nodes, expected byte-identical; returns the parsed view.
        func expectSameView(
            _ collection: String, _ id: String, sourceLocation: SourceLocation = #_sourceLocation
        ) throws -> [String: Any] {
            let onPost = try post.json([collection, "show", id], sourceLocation: sourceLocation)
            let onClinic = try clinic.json([collection, "show", id], sourceLocation: sourceLocation)
            #expect(
                onPost.stdoutData == onClinic.stdoutData, "post:\n\(onPost.stdout)\nclinic:\n\(onClinic.stdout)",
                sourceLocation: sourceLocation)
            return try onPost.jsonObject(sourceLocation: sourceLocation)
        }
    }

    @Test("the done criterion: concurrent edits converge to one conflict, and resolving it clears it everywhere")
    func concurrentEditsConvergeToOneConflictThenResolve() throws {
        let sites = try Sites()
        let (post, clinic) = (sites.post, sites.clinic)
        let postID = post.nodeID
        let clinicID = clinic.nodeID

        let id = try post.succeed(["case", "add", "given_name=Amina", "family_name=Haddad", "risk_level=low"])
        let carried = try post.send(to: clinic)
        #expect(carried["applied"] as? Int ?? 0 > 0)
        #expect(carried["sender"] as? String == postID)
        #expect(try sites.expectSameView("case", id)["id"] as? String == id)

        // Apart: both change the same field.
        try post.succeed(["case", "set", id, "risk_level=high"])
        try clinic.succeed(["case", "set", id, "risk_level=medium"])
        try sites.exchange()

        let view = try sites.expectSameView("case", id)
        let shownConflicts = try #require(view["conflicts"] as? [String: Any])
        #expect(shownConflicts.keys.sorted() == ["risk_level"])

        let conflictsOnPost = try post.json(["conflicts"])
        let conflictsOnClinic = try clinic.json(["conflicts"])
        #expect(conflictsOnPost.stdoutData == conflictsOnClinic.stdoutData)
        let conflicts = try conflictsOnPost.jsonArray()
        try #require(conflicts.count == 1, "\(conflicts)")
        let conflict = try #require(conflicts[0] as? [String: Any])
        #expect(conflict["collection"] as? String == "case")
        #expect(conflict["record"] as? String == id)
        #expect(conflict["field"] as? String == "risk_level")
        let values = try #require(conflict["values"] as? [[String: Any]])
        let byValue = Dictionary(
            uniqueKeysWithValues: values.compactMap { value in
                (value["value"] as? String).map { ($0, value) }
            })
        #expect(byValue.keys.sorted() == ["high", "medium"])
        #expect(byValue["high"]?["origin"] as? String == postID)
        #expect(byValue["medium"]?["origin"] as? String == clinicID)
        for value in values {
            #expect(value["at"] is String && value["sequence"] is Int, "\(value)")
        }

        // The text form names the other node by its peer name.
        let text = try post.succeed(["conflicts"])
        #expect(text.contains("risk_level") && text.contains("clinic") && text.contains("this node"), "\(text)")

        // Resolve on one node; after another exchange the conflict is gone on both.
        let resolved = try clinic.succeed(["resolve", "case", id, "risk_level", "critical"])
        #expect(resolved.contains("supersedes 2 values"), "\(resolved)")
        try #require(try clinic.json(["conflicts"]).output == "[]")
        try sites.exchange()
        #expect(try post.json(["conflicts"]).output == "[]")
        #expect(try clinic.json(["conflicts"]).output == "[]")
        let settled = try sites.expectSameView("case", id)
        let fields = try #require(settled["fields"] as? [String: Any])
        #expect(fields["risk_level"] as? String == "critical")
        #expect(fields["given_name"] as? String == "Amina")
        #expect((settled["conflicts"] as? [String: Any])?.isEmpty == true)
        #expect(try post.content() == clinic.content())
    }

    @Test("a set element removed on one node and added on the other concurrently stays (add wins)")
    func concurrentSetAddAndRemoveAddWins() throws {
        let sites = try Sites()
        let (post, clinic) = (sites.post, sites.clinic)
        let id = try post.succeed(["case", "add", "given_name=Omar", "languages+=ar", "languages+=ku"])
        try post.send(to: clinic)

        try post.succeed(["case", "set", id, "languages-=ar", "languages-=ku", "languages+=fr"])
        // The clinic takes ar out and puts it back: its add is new, so the post's remove never saw it.
        try clinic.succeed(["case", "set", id, "languages-=ar"])
        try clinic.succeed(["case", "set", id, "languages+=ar", "languages+=en"])
        try sites.exchange()

        let fields = try #require(try sites.expectSameView("case", id)["fields"] as? [String: Any])
        // ar: removed on the post while the clinic added it again: the add wins.
        // ku: removed on the post only: gone. fr and en: added on one side each.
        #expect(fields["languages"] as? [String] == ["ar", "en", "fr"])
        #expect(try post.json(["conflicts"]).output == "[]")
    }

    @Test("counter increments and decrements made on both nodes add up")
    func counterIncrementsFromBothNodesAddUp() throws {
        let sites = try Sites()
        let (post, clinic) = (sites.post, sites.clinic)
        let id = try post.succeed(["service", "add", "name=Hope Shelter", "capacity_total=40", "occupied+=2"])
        try post.send(to: clinic)

        try post.succeed(["service", "set", id, "occupied+=3"])
        try clinic.succeed(["service", "set", id, "occupied+=4"])
        try clinic.succeed(["service", "set", id, "occupied-=1"])
        try sites.exchange()

        let fields = try #require(try sites.expectSameView("service", id)["fields"] as? [String: Any])
        #expect(fields["occupied"] as? Int == 2 + 3 + 4 - 1)
        #expect(fields["name"] as? String == "Hope Shelter")
        #expect(try post.json(["service", "list"]).stdoutData == clinic.json(["service", "list"]).stdoutData)
    }

    @Test("notes written on both nodes are all kept, in timestamp order")
    func notesFromBothNodesKeptInTimestampOrder() throws {
        let sites = try Sites()
        let (post, clinic) = (sites.post, sites.clinic)
        let postID = post.nodeID
        let clinicID = clinic.nodeID
        let id = try post.succeed(["case", "add", "given_name=Lina"])
        try post.send(to: clinic)

        // Interleaved in time; each launch takes milliseconds, so the timestamps differ.
        try post.succeed(["case", "note", id, "post 1: seen at the border"])
        try clinic.succeed(["case", "note", id, "clinic 1: vaccinated"])
        try post.succeed(["case", "note", id, "post 2: moved on"])
        try clinic.succeed(["case", "note", id, "clinic 2: follow-up booked"])
        try sites.exchange()

        let fields = try #require(try sites.expectSameView("case", id)["fields"] as? [String: Any])
        let notes = try #require(fields["notes"] as? [[String: Any]])
        #expect(
            notes.compactMap { $0["text"] as? String } == [
                "post 1: seen at the border", "clinic 1: vaccinated", "post 2: moved on", "clinic 2: follow-up booked",
            ])
        #expect(notes.compactMap { $0["origin"] as? String } == [postID, clinicID, postID, clinicID])
        let times = notes.compactMap { $0["at"] as? String }
        #expect(times.count == 4 && times == times.sorted(), "\(times)")
        #expect(try post.json(["conflicts"]).output == "[]")
    }
}
