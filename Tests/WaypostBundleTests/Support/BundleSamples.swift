import WaypostCore
import WaypostCrypto
import WaypostTrust

@testable import WaypostBundle

/// Keys, bundles and certificates the tests share: the worked example of `Protocol/bundle.md` §7 and
/// random bundles.
enum BundleSamples {
    /// The 32 bytes `first`, `first + 1`, … , `first + 31`: the seeds of the example's key pairs.
    static func seed(_ first: UInt8) -> [UInt8] { (0..<32).map { first + UInt8($0) } }

    /// S, the example's sender and the origin of its changes: seed `00 01 … 1f`.
    static let senderKeys = try! SigningKeyPair(seed: seed(0x00))
    /// N, the network whose certificate the example carries: seed `20 21 … 3f`.
    static let networkKeys = try! SigningKeyPair(seed: seed(0x20))
    /// R, the recipient the example is sealed to: seed `40 41 … 5f`.
    static let recipientKeys = try! SigningKeyPair(seed: seed(0x40))
    /// O, the node whose value the example's first change overwrites: seed `60 61 … 7f`.
    static let otherKeys = try! SigningKeyPair(seed: seed(0x60))

    static let sender = senderKeys.publicKey
    static let other = otherKeys.publicKey
    static let network = networkKeys.publicKey
    static let recipient = recipientKeys.publicKey

    /// The case file the example edits.
    static let record = try! RecordID(parsing: "k7f3-m2q4-x4c2-ab5d")
    /// S's record key for that case file: `80 81 … 9f`.
    static let recordKey = (0..<32).map { UInt8(0x80 + $0) }
    /// The millisecond of the example's first change (2026-11-18T11:06:40.000Z).
    static let milliseconds: UInt64 = 1_795_000_000_000

    /// The example's three changes: one local write of S to case k7f3-m2q4-x4c2-ab5d.
    static let exampleChanges = [
        Change(
            dot: Dot(origin: sender, sequence: 1), timestamp: HybridTimestamp(milliseconds: milliseconds, counter: 0),
            collection: .caseFile, record: record, field: "given_name",
            operation: .assign(value: "Amina", supersedes: [Dot(origin: other, sequence: 7)])),
        Change(
            dot: Dot(origin: sender, sequence: 2), timestamp: HybridTimestamp(milliseconds: milliseconds, counter: 1),
            collection: .caseFile, record: record, field: "languages", operation: .insert(element: "ar")),
        Change(
            dot: Dot(origin: sender, sequence: 3),
            timestamp: HybridTimestamp(milliseconds: milliseconds + 1500, counter: 0),
            collection: .caseFile, record: record, field: "languages", operation: .insert(element: "fr")),
    ]

    /// S's chain heads after each example change, computed with ``WaypostTrust/ChangeChain``.
    static let exampleHeads: [[UInt8]] = {
        var head = ChangeChain.genesis
        return exampleChanges.enumerated().map { index, change in
            head = ChangeChain.head(
                after: head, leaf: ChangeChain.leaf(of: change, recordKey: recordKey, introducesKey: index == 0))
            return head
        }
    }()

    /// S's signature of its head at its third change, the last of the write.
    static let exampleSignature = ChangeChain.sign(at: exampleChanges[2].dot, head: exampleHeads[2], with: senderKeys)

    /// N's certificate enrolling S as a field node named "Kakuma clinic".
    static let exampleCertificate = Certificate.issue(
        network: network, node: sender, role: .field, name: "Kakuma clinic", issuedAt: 1_794_000_000_000,
        by: networkKeys)

    /// The worked example: S's three changes with their record key and signature, and S's certificate.
    static let example = Bundle(
        sender: sender, createdAt: milliseconds + 60_000, senderVersions: VersionVector([sender: 3, other: 7]),
        batch: ChangeBatch(
            changes: exampleChanges, recordKeys: [exampleChanges[0].dot: recordKey],
            signatures: [exampleChanges[2].dot: exampleSignature]),
        certificates: [exampleCertificate])

    /// A bundle of `changes`, with nothing else.
    static func bundle(
        _ changes: [Change], sender: NodeID = sender, versions: VersionVector = VersionVector(), createdAt: UInt64 = 0
    ) -> Bundle {
        Bundle(sender: sender, createdAt: createdAt, senderVersions: versions, batch: ChangeBatch(changes: changes))
    }

    // MARK: Random bundles

    /// Certificates to put in random bundles: by the network key and by an admin member, every role, names
    /// from empty to the 64-byte limit.
    static let certificates: [Certificate] = {
        let admin = otherKeys
        return [
            Certificate.issue(
                network: network, node: admin.publicKey, role: .admin, name: "Dadaab admin", issuedAt: 1,
                by: networkKeys),
            Certificate.issue(network: network, node: sender, role: .field, name: "", issuedAt: 0, by: admin),
            Certificate.issue(
                network: network, node: recipient, role: .field, name: String(repeating: "é", count: 32),
                issuedAt: Directive.latestTime, by: admin),
            Certificate.issue(
                network: sender, node: recipient, role: .admin, name: "Border post 日本", issuedAt: 1_800_000_000_000,
                by: senderKeys),
            exampleCertificate,
        ]
    }()

    /// Directives to put in random bundles: a revocation and an erasure, reasons from one byte to the
    /// 256-byte limit.
    static let directives: [Directive] = [
        try! Directive.issue(
            .revoke(node: other, lastAccepted: 3), reason: "laptop seized at the border", issuedAt: 1_796_000_000_000,
            by: senderKeys),
        try! Directive.issue(.revoke(node: recipient, lastAccepted: 0), reason: "x", issuedAt: 0, by: otherKeys),
        try! Directive.issue(
            .erase(collection: .caseFile, record: record), reason: String(repeating: "é", count: 128), issuedAt: Directive.latestTime,
            by: senderKeys),
        try! Directive.issue(
            .erase(collection: .service, record: record), reason: "data-protection request 日本", issuedAt: 1,
            by: networkKeys),
    ]

    /// A random bundle: `changeCount` changes from `originCount` origins, in runs of up to `longestRun`
    /// consecutive sequence numbers, with every operation kind, gaps, runs of changes to one record,
    /// repeated field paths, record keys, signatures, certificates, directives, wrapping timestamps and extreme values.
    static func random(
        changeCount: Int, originCount: Int, longestRun: Int, using generator: inout SeededGenerator
    ) -> Bundle {
        let origins = (0..<originCount).map { _ in randomNode(using: &generator) }
        // Nodes that appear only in the version vector or as superseded dots.
        let bystanders = (0..<Int.random(in: 0...3, using: &generator)).map { _ in randomNode(using: &generator) }
        let everyone = origins + bystanders
        let records = (0..<Int.random(in: 1...6, using: &generator)).map { _ in RecordID.random(using: &generator) }
        var next: [NodeID: UInt64] = [:]
        for (index, origin) in origins.enumerated() {
            // One origin near the top of the sequence space, to exercise the reader's overflow bound.
            next[origin] =
                index == 1 ? Dot.maximumSequence - UInt64(5 * changeCount + 10) : UInt64.random(in: 1...5000, using: &generator)
        }

        var batch = ChangeBatch()
        var collection = RecordCollection.caseFile
        var record = records[0]
        while batch.changes.count < changeCount {
            let origin = origins.randomElement(using: &generator)!
            if Int.random(in: 0..<5, using: &generator) == 0 {
                next[origin]! += UInt64.random(in: 1...3, using: &generator)
            }
            let length = min(Int.random(in: 1...longestRun, using: &generator), changeCount - batch.changes.count)
            var timestamp = randomTimestamp(using: &generator)
            let wild = Bool.random(using: &generator)
            for index in 0..<length {
                let sequence = next[origin]!
                next[origin]! += 1
                // Often the same record as the change before, as one write makes several changes to one record.
                if Int.random(in: 0..<3, using: &generator) == 0 {
                    collection = RecordCollection.allCases.randomElement(using: &generator)!
                    record =
                        Bool.random(using: &generator)
                        ? records.randomElement(using: &generator)! : RecordID.random(using: &generator)
                }
                let dot = Dot(origin: origin, sequence: sequence)
                var operation = randomOperation(nodes: everyone, using: &generator)
                // Now and then an erased change: a digest in place of its value, which reads back empty.
                if Int.random(in: 0..<8, using: &generator) == 0 {
                    batch.erasedDigests[dot] = randomBytes(32, &generator)
                    switch operation {
                    case .assign(_, let supersedes): operation = .assign(value: "", supersedes: supersedes)
                    case .insert: operation = .insert(element: "")
                    case .remove(_, let supersedes): operation = .remove(element: "", supersedes: supersedes)
                    case .increment: operation = .increment(by: 0)
                    case .append: operation = .append(entry: "")
                    }
                }
                batch.changes.append(
                    Change(
                        dot: dot, timestamp: timestamp, collection: collection, record: record,
                        field: fields.randomElement(using: &generator)!, operation: operation))
                if Int.random(in: 0..<5, using: &generator) == 0 { batch.recordKeys[dot] = randomBytes(32, &generator) }
                if index == length - 1 || Int.random(in: 0..<6, using: &generator) == 0 {
                    batch.signatures[dot] = randomBytes(64, &generator)
                }
                timestamp =
                    wild
                    ? randomTimestamp(using: &generator)
                    : HybridTimestamp(rawValue: timestamp.rawValue &+ UInt64.random(in: 0...100_000, using: &generator))
            }
        }

        // Entries up to 2^63 - 1 that add up to at most that (bundle.md §2, "Numbers").
        var versions = VersionVector()
        for node in everyone where Bool.random(using: &generator) {
            versions.advance(node, to: UInt64.random(in: 1...(Dot.maximumSequence / UInt64(everyone.count)), using: &generator))
        }
        let sender = Bool.random(using: &generator) ? origins[0] : randomNode(using: &generator)
        let certificateCount = Int.random(in: 0...3, using: &generator)
        return Bundle(
            sender: sender, createdAt: UInt64.random(in: 0...UInt64.max, using: &generator), senderVersions: versions,
            batch: batch,
            certificates: (0..<certificateCount).map { _ in certificates.randomElement(using: &generator)! },
            directives: (0..<Int.random(in: 0...2, using: &generator)).map { _ in directives.randomElement(using: &generator)! })
    }

    static func randomNode(using generator: inout SeededGenerator) -> NodeID {
        NodeID(bytes: randomBytes(32, &generator))
    }

    static func randomBytes(_ count: Int, _ generator: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    private static let fields = [
        "given_name", "languages", "notes", "household.k3b7.given_name", "occupied", "", "é",
    ]

    private static let texts = [
        "", "Amina", "ar", "fr", "Seen at the clinic", "Ω≈ç√", "日本語のメモ", "👩‍👩‍👧", "e\u{301}", "\u{0}", "a\nb",
        "{\"purpose\":\"referral\"}",
    ]

    static func randomText(using generator: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<10, using: &generator) {
        case 0:
            let length = Int.random(in: 0...600, using: &generator)
            let ascii = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next() % 95 + 0x20) }
            return String(decoding: ascii, as: UTF8.self)
        case 1:
            return String(
                String.UnicodeScalarView(
                    (0..<Int.random(in: 1...20, using: &generator)).compactMap { _ in
                        Unicode.Scalar(UInt32.random(in: 0...0x10FFFF, using: &generator))
                    }))
        default:
            return texts.randomElement(using: &generator)!
        }
    }

    static func randomTimestamp(using generator: inout SeededGenerator) -> HybridTimestamp {
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: HybridTimestamp(rawValue: [0, 1, UInt64.max, UInt64.max - 1].randomElement(using: &generator)!)
        case 1: HybridTimestamp(rawValue: UInt64.random(in: 0...UInt64.max, using: &generator))
        default:
            HybridTimestamp(
                milliseconds: UInt64.random(in: 1_600_000_000_000...1_900_000_000_000, using: &generator),
                counter: UInt16.random(in: 0...3, using: &generator))
        }
    }

    static func randomOperation(nodes: [NodeID], using generator: inout SeededGenerator) -> WaypostCore.Operation {
        func dots() -> [Dot] {
            (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                let sequence: UInt64 =
                    Bool.random(using: &generator)
                    ? UInt64.random(in: 1...100, using: &generator)
                    : UInt64.random(in: 1...Dot.maximumSequence, using: &generator)
                return Dot(origin: nodes.randomElement(using: &generator)!, sequence: sequence)
            }
        }
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: return .assign(value: randomText(using: &generator), supersedes: dots())
        case 1: return .insert(element: randomText(using: &generator))
        case 2: return .remove(element: randomText(using: &generator), supersedes: dots())
        case 3:
            let amounts: [Int64] = [.min, .max, -1, 0, 1, Int64.random(in: .min ... .max, using: &generator)]
            return .increment(by: amounts.randomElement(using: &generator)!)
        default: return .append(entry: randomText(using: &generator))
        }
    }
}
