import Foundation
import Testing

/// One untrusted origin among relayed changes (issue 15 §4): the receiver applies the rest, and the
/// sender records only what the receiver acknowledged, so `status` and `bundle export --to` stay exact.
@Suite struct PartialTrustSyncTests {
    @Test("a sync that carries an origin the receiver does not trust applies the others, and the sender knows what is missing")
    func anUntrustedOriginDoesNotBlockTheRest() throws {
        let sandbox = try Sandbox()
        let post = try sandbox.node("post"), clinic = try sandbox.node("clinic"), camp = try sandbox.node("camp")
        try post.pair(with: clinic)
        try camp.pair(with: post)  // the post trusts the camp; the clinic never heard of it
        try camp.succeed(["case", "add", "given_name=FromCamp"])
        try camp.send(to: post)
        try post.succeed(["case", "add", "given_name=FromPost"])

        let serve = try ServeProcess(clinic)
        try post.succeed(["peer", "address", "clinic", serve.address])
        let sync = try post.run(["sync", "clinic", "--json"])
        #expect(sync.status == 0, "\(sync)")
        // The clinic holds the post's case and not the camp's.
        let names = try clinic.json(["case", "list"]).jsonArray().compactMap {
            (($0 as? [String: Any])?["fields"] as? [String: Any])?["given_name"] as? String
        }
        #expect(names == ["FromPost"], "\(names)")
        // The post does not take the clinic for holding the camp's changes: it says what the clinic lacks,
        // and a bundle for it carries them.
        let peers = try #require(try post.json(["status"]).jsonObject()["peers"] as? [[String: Any]])
        let row = try #require(peers.first { $0["name"] as? String == "clinic" })
        #expect((row["lacks"] as? Int ?? 0) > 0, "\(row)")
        let out = sandbox.path("for-clinic.wpb")
        try post.succeed(["bundle", "export", "--to", "clinic", "--out", out])
        serve.stop()
        try clinic.trust(camp)
        let report = try clinic.importBundle(out)
        #expect((report["applied"] as? Int ?? 0) > 0, "\(report)")
        #expect(try clinic.json(["case", "list"]).stdout.contains("FromCamp"))
    }
}
