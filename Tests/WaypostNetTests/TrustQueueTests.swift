import Testing
import WaypostCore
import WaypostCrypto
import WaypostTrust

@testable import WaypostNet

/// The certificates and directives a session sends are split over batches (issue 15 §2: a first batch
/// with every certificate once exceeded the frame limit, and that node never live-synced again).
@Suite struct TrustQueueTests {
    @Test("shares stay within their budget, cover everything once, certificates first, network-issued first")
    func sharesStayWithinBudget() throws {
        let network = try SigningKeyPair.generate(), admin = try SigningKeyPair.generate()
        var certificates: [Certificate] = []
        for index in 0..<300 {
            let member = try SigningKeyPair.generate().publicKey
            let issuer = index % 3 == 0 ? admin : network
            certificates.append(
                Certificate.issue(
                    network: network.publicKey, node: member, role: .field, name: "member \(index)", issuedAt: UInt64(1000 - index),
                    by: issuer))
        }
        let directives = try (0..<200).map { index in
            try Directive.issue(
                .erase(collection: .caseFile, record: RecordID.random()), reason: "request \(index)", issuedAt: UInt64(index), by: admin)
        }
        var queue = TrustQueue(certificates: certificates, directives: directives)
        let budget = 4_096
        var sentCertificates: [Certificate] = [], sentDirectives: [Directive] = []
        while true {
            let share = queue.next(budget: budget)
            if share.isEmpty { break }
            #expect(share.bytes <= budget)
            #expect(share.bytes == share.certificates.reduce(0) { $0 + $1.bytes.count + TrustQueue.frameOverhead }
                + share.directives.reduce(0) { $0 + $1.bytes.count + TrustQueue.frameOverhead })
            #expect(share.directives.isEmpty || sentCertificates.count + share.certificates.count == certificates.count)
            sentCertificates += share.certificates
            sentDirectives += share.directives
            queue.drop(share)
        }
        #expect(Set(sentCertificates) == Set(certificates) && sentCertificates.count == certificates.count)
        #expect(sentDirectives.map(\.bytes) == directives.sorted(by: Directive.precedes).map(\.bytes))
        let firstAdminIssued = try #require(sentCertificates.firstIndex { $0.issuer == admin.publicKey })
        #expect(sentCertificates[..<firstAdminIssued].count == certificates.filter { $0.issuer == network.publicKey }.count)
        // A budget smaller than one item still moves one item a share: the queue never stalls.
        var tight = TrustQueue(certificates: Array(certificates.prefix(2)), directives: [])
        let one = tight.next(budget: 10)
        #expect(one.certificates.count == 1)
        tight.drop(one)
        #expect(tight.next(budget: 10).certificates.count == 1)
    }
}
