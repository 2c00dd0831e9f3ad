import WaypostTrust

/// The certificates and directives a sync session still has to send (`Protocol/sync.md` §5.3): they go
/// out with the first batches, as many as fit in each, certificates first (those the network key issued
/// before those its admins did, so that a receiver can count each as it comes), then directives in the
/// order they are judged. No batch is then larger than a frame, however many a node holds.
struct TrustQueue: Sendable {
    /// What one batch takes.
    struct Share: Sendable {
        var certificates: [Certificate] = []
        var directives: [Directive] = []
        /// Their encoded size, with room for each one's frame header.
        var bytes = 0
        var isEmpty: Bool { certificates.isEmpty && directives.isEmpty }
    }

    /// A frame's header and checksum, at most (`Protocol/bundle.md` §3).
    static let frameOverhead = 24

    private var certificates: ArraySlice<Certificate>
    private var directives: ArraySlice<Directive>

    init(certificates: [Certificate], directives: [Directive]) {
        self.certificates = ArraySlice(
            certificates.sorted { (Self.rank($0), $0.issuedAt) < (Self.rank($1), $1.issuedAt) })
        self.directives = ArraySlice(directives.sorted(by: Directive.precedes))
    }

    /// 0 for a certificate the network key issued, 1 for one an admin member did.
    private static func rank(_ certificate: Certificate) -> Int { certificate.issuer == certificate.network ? 0 : 1 }

    /// The next items, up to `budget` bytes (at least one item when any is left, whatever its size).
    func next(budget: Int) -> Share {
        var share = Share()
        for certificate in certificates {
            let size = certificate.bytes.count + Self.frameOverhead
            guard share.bytes + size <= budget || share.isEmpty else { return share }
            share.certificates.append(certificate)
            share.bytes += size
        }
        for directive in directives {
            let size = directive.bytes.count + Self.frameOverhead
            guard share.bytes + size <= budget || share.isEmpty else { return share }
            share.directives.append(directive)
            share.bytes += size
        }
        return share
    }

    /// Takes `share` (what ``next(budget:)`` gave) off the queue, once it is sent.
    mutating func drop(_ share: Share) {
        certificates = certificates.dropFirst(share.certificates.count)
        directives = directives.dropFirst(share.directives.count)
    }
}
