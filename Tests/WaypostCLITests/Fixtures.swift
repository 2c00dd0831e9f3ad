import Foundation
import Testing

/// Nodes and bundles built once for the whole suite, then laid out again (``Sandbox/restore(_:as:)``)
/// in each test that needs them: a test pays for no `init`, write or export it does not look at.
enum Fixtures {
    /// Three sites and the bundles between them, built by ``makeSites()`` on first use.
    static let sites = Result { try makeSites() }

    /// A post and a clinic that trust each other (pairwise, each way) and hold nothing yet: 4 launches, once.
    static let pair = Result { () throws -> (post: NodeImage, clinic: NodeImage) in
        let sandbox = try Sandbox()
        let post = try sandbox.node("post")
        let clinic = try sandbox.node("clinic")
        try post.pair(with: clinic)
        return (try post.image(), try clinic.image())
    }

    /// A border post and a clinic that trust each other (pairwise, each way), and a camp that the post
    /// does not trust. The clinic trusts the camp, and the camp can address the post.
    struct Sites: Sendable {
        /// The post, before it imported anything: one case (``postCase``) and one service.
        let post: NodeImage
        /// The post's case: given_name=Amina, date_of_birth=1991-04-12, risk_level=low.
        let postCase: String
        /// The clinic's id.
        let clinicID: String
        /// The camp's id.
        let campID: String
        /// The clinic's bundle for the post: its case (with ``clinicValues``) and a service.
        let clinicToPost: [UInt8]
        /// A later bundle of the clinic for the post: all of ``clinicToPost`` and a second note.
        let clinicToPostLater: [UInt8]
        /// The clinic's bundle for the camp (not for the post).
        let clinicToCamp: [UInt8]
        /// The camp's bundle for the post, which does not trust the camp.
        let campToPost: [UInt8]
    }

    /// Field values the clinic wrote, which must never appear in clear in a bundle file.
    static let clinicValues = [
        "Mariam", "Al-Khatib", "KRD-21-0458813", "seen at the Ibrahim Khalil crossing; needs an asthma inhaler",
        "Hope Shelter",
    ]

    /// 19 launches, once.
    private static func makeSites() throws -> Sites {
        let sandbox = try Sandbox()  // removed when this returns: the images and bytes are kept in memory
        let post = try sandbox.node("post")
        let clinic = try sandbox.node("clinic")
        let camp = try sandbox.node("camp")
        try post.pair(with: clinic)
        try camp.trust(post)
        try clinic.trust(camp)

        let postCase = try post.succeed([
            "case", "add", "given_name=Amina", "date_of_birth=1991-04-12", "risk_level=low",
        ])
        try post.succeed(["service", "add", "name=Clinic", "occupied+=1"])
        let values = clinicValues
        let clinicCase = try clinic.succeed([
            "case", "add", "given_name=\(values[0])", "family_name=\(values[1])", "identifiers+=unhcr:\(values[2])",
            "languages+=ar",
        ])
        try clinic.succeed(["case", "note", clinicCase, values[3]])
        try clinic.succeed(["service", "add", "name=\(values[4])", "occupied+=2"])
        try camp.succeed(["case", "add", "given_name=Omar"])

        func read(_ file: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: file))) }
        let clinicToPost = try read(clinic.export(to: post))
        let clinicToCamp = try read(clinic.export(to: camp))
        let campToPost = try read(camp.export(to: post))
        try clinic.succeed(["case", "note", clinicCase, "second visit"])
        let clinicToPostLater = try read(clinic.export(to: post))
        return Sites(
            post: try post.image(), postCase: postCase, clinicID: clinic.nodeID, campID: camp.nodeID,
            clinicToPost: clinicToPost, clinicToPostLater: clinicToPostLater, clinicToCamp: clinicToCamp,
            campToPost: campToPost)
    }
}

/// The short form of a node id that messages use: its first group of characters.
func shortID(_ nodeID: String) -> String { String(nodeID.prefix { $0 != "-" }) }

extension TestNode {
    /// The bytes of this node's identity key file.
    func identityKey() throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: home + "/identity.key")))
    }
}

extension [UInt8] {
    /// Whether the first `count` bytes of `needle` occur anywhere in these bytes.
    func contains(_ count: Int, of needle: [UInt8]) -> Bool {
        let pattern = needle.prefix(count)
        guard self.count >= pattern.count else { return false }
        return (0...(self.count - pattern.count)).contains { self[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    /// Whether `needle` occurs anywhere in these bytes.
    func contains(bytes needle: [UInt8]) -> Bool { contains(needle.count, of: needle) }
}

extension Sandbox {
    /// The post and the clinic of ``Fixtures/pair``, laid out in this sandbox: peers of each other, empty.
    func pair() throws -> (post: TestNode, clinic: TestNode) {
        let images = try Fixtures.pair.get()
        return (try restore(images.post), try restore(images.clinic))
    }
}
