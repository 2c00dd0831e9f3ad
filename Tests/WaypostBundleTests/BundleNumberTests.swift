import Testing
import WaypostCore
import WaypostCrypto
import WaypostTrust

@testable import WaypostBundle

/// The numbers of a bundle (`Protocol/bundle.md` §2, "Numbers"): sequence numbers in runs, dots and
/// versions, and a revocation's last accepted sequence, are at most 2^63 - 1, a version vector's entries
/// add up to at most that, and certificates' and directives' issue times are at most 2^63 - 1
/// milliseconds. The reader refuses anything else when it decodes it, so nothing downstream converts or
/// adds a number that does not fit (issue 15, "Crash at will"). Hostile bundles are written with
/// ``BundleWriter``, which writes whatever it is given.
@Suite struct BundleNumberTests {
    static let largest = Dot.maximumSequence
    /// Values past the range, up to 2^64 - 1.
    static let outOfRange: [UInt64] = [1 << 63, (1 << 63) + 1, (1 << 63) + 5, .max - 1, .max]

    static let sender = BundleSamples.sender
    static let other = BundleSamples.other

    /// A change of `origin` at `sequence`, superseding `supersedes`, with a record key and a signature.
    static func batch(_ origin: NodeID, at sequence: UInt64, supersedes: [Dot] = []) -> ChangeBatch {
        let dot = Dot(origin: origin, sequence: sequence)
        let change = Change(
            dot: dot, timestamp: HybridTimestamp(milliseconds: BundleSamples.milliseconds), collection: .caseFile,
            record: BundleSamples.record, field: "given_name",
            operation: .assign(value: "Amina", supersedes: supersedes))
        return ChangeBatch(
            changes: [change], recordKeys: [dot: BundleSamples.recordKey],
            signatures: [dot: [UInt8](repeating: 5, count: 64)])
    }

    static func decoding(
        _ batch: ChangeBatch = ChangeBatch(), versions: VersionVector = VersionVector(),
        certificates: [Certificate] = [],
        directives: [Directive] = []
    ) -> BundleError? {
        let bytes = BundleWriter.encode(
            Bundle(
                sender: sender, createdAt: 0, senderVersions: versions, batch: batch, certificates: certificates,
                directives: directives))
        do {
            _ = try BundleReader.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    /// The attack: a change at sequence 2^63 + 1 naming a trusted origin, which the replica used to
    /// convert to `Int64` and trap on. The reader refuses it, in a file's frames or a sync batch alike.
    @Test func aChangeAtSequence2To63Plus1IsMalformed() {
        let error = Self.decoding(Self.batch(Self.sender, at: (1 << 63) + 1))
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("9223372036854775809") == true, "\(String(describing: error))")
    }

    @Test(arguments: outOfRange)
    func aChangePastTheLargestSequenceNumberIsMalformed(sequence: UInt64) {
        #expect(Self.decoding(Self.batch(Self.sender, at: sequence))?.code == .malformed)
        // In a run that starts in range and runs past it.
        var run = Self.batch(Self.sender, at: Self.largest)
        run.changes += Self.batch(Self.sender, at: sequence).changes
        #expect(Self.decoding(run)?.code == .malformed)
    }

    @Test(arguments: outOfRange)
    func aSupersededDotPastTheLargestIsMalformed(sequence: UInt64) {
        let batch = Self.batch(Self.sender, at: 4, supersedes: [Dot(origin: Self.other, sequence: sequence)])
        let error = Self.decoding(batch)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("\(sequence)") == true, "\(String(describing: error))")
    }

    /// The attacks of `versions` of sync, in a bundle's header: two entries of 2^63, one of 2^63 + 5, and
    /// entries in range that add up past 2^63 - 1.
    @Test func headerVersionsOutOfRangeAreMalformed() {
        for entries in [
            [Self.sender: 1 << 63, Self.other: 1 << 63], [Self.sender: (1 << 63) + 5], [Self.sender: .max],
            [Self.sender: 1 << 62, Self.other: 1 << 62], [Self.sender: Self.largest, Self.other: 1],
        ] as [[NodeID: UInt64]] {
            let error = Self.decoding(versions: VersionVector(entries))
            #expect(error?.code == .malformed, "\(entries)")
            #expect(error?.message.contains("version vector") == true, "\(String(describing: error))")
        }
    }

    @Test func theLargestNumbersAreRead() throws {
        var batch = Self.batch(
            Self.sender, at: Self.largest - 1, supersedes: [Dot(origin: Self.other, sequence: Self.largest)])
        batch.changes += Self.batch(Self.sender, at: Self.largest).changes
        batch.signatures[Dot(origin: Self.sender, sequence: Self.largest)] = [UInt8](repeating: 6, count: 64)
        let versions = VersionVector([Self.sender: Self.largest - 2, Self.other: 2])
        let bundle = Bundle(sender: Self.sender, createdAt: .max, senderVersions: versions, batch: batch)
        let decoded = try BundleReader.decode(BundleWriter.encode(bundle))
        #expect(decoded.changes == batch.changes)
        #expect(decoded.senderVersions == versions)
        #expect(decoded.createdAt == .max)
    }

    /// A revocation whose last accepted sequence is past 2^63 - 1, and certificates and directives
    /// issued after 2^63 - 1 milliseconds, are refused when decoded (`badDirective`, `badCertificate`),
    /// and make a bundle that carries one `corrupt`, as any bad certificate or directive does.
    @Test(arguments: outOfRange)
    func directiveAndCertificateNumbersPastTheLargestAreRefused(number: UInt64) throws {
        let keys = BundleSamples.senderKeys
        let revocation = try Directive.issue(
            .revoke(node: Self.other, lastAccepted: number), reason: "laptop seized", issuedAt: 1, by: keys)
        let late = try Directive.issue(
            .erase(collection: .caseFile, record: BundleSamples.record), reason: "erasure request", issuedAt: number,
            by: keys)
        for directive in [revocation, late] {
            let error = #expect(throws: TrustError.self) { try Directive(decoding: directive.bytes) }
            #expect(error?.code == .badDirective)
            #expect(error?.message.contains("\(number)") == true, "\(String(describing: error))")
            #expect(Self.decoding(directives: [directive])?.code == .corrupt)
        }
        let certificate = Certificate.issue(
            network: BundleSamples.network, node: Self.other, role: .field, name: "late", issuedAt: number,
            by: BundleSamples.networkKeys)
        let error = #expect(throws: TrustError.self) { try Certificate(decoding: certificate.bytes) }
        #expect(error?.code == .badCertificate)
        #expect(Self.decoding(certificates: [certificate])?.code == .corrupt)
    }

    @Test func directiveAndCertificateNumbersAtTheLargestAreRead() throws {
        let keys = BundleSamples.senderKeys
        let revocation = try Directive.issue(
            .revoke(node: Self.other, lastAccepted: Self.largest), reason: "laptop seized",
            issuedAt: Directive.latestTime,
            by: keys)
        #expect(try Directive(decoding: revocation.bytes) == revocation)
        let certificate = Certificate.issue(
            network: BundleSamples.network, node: Self.other, role: .field, name: "late",
            issuedAt: Directive.latestTime,
            by: BundleSamples.networkKeys)
        #expect(try Certificate(decoding: certificate.bytes) == certificate)
        #expect(Self.decoding(certificates: [certificate], directives: [revocation]) == nil)
    }
}
