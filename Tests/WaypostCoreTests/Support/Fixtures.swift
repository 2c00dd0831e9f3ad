import WaypostTesting
@testable import WaypostCore

/// Identifiers and schema pieces shared by the tests.
enum Fixtures {
    /// The schema every node uses.
    static let schema = Schema.waypost
    /// The case file collection's schema.
    static let cases = Schema.waypost[.caseFile]
    /// The service collection's schema.
    static let services = Schema.waypost[.service]

    /// A node id whose 32 bytes are all `byte`: `node(1) < node(2)`.
    static func node(_ byte: UInt8) -> NodeID {
        NodeID(bytes: Array(repeating: byte, count: NodeID.byteCount))
    }

    /// A node id of 32 bytes drawn from `generator`.
    static func node(using generator: inout SplitMix64) -> NodeID {
        NodeID(bytes: (0..<NodeID.byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// A case file every scenario can share.
    static let caseRecord = RecordID(canonical: "aaaa-bbbb-cccc-dddd")
    /// A second case file, for tests about addresses.
    static let otherCaseRecord = RecordID(canonical: "zzzz-2222-yyyy-3333")
    /// A service directory entry.
    static let serviceRecord = RecordID(canonical: "srvc-aaaa-bbbb-7777")

    /// An entry key for household members.
    static let memberKey = try! EntryKey(parsing: "amina222")
    /// A second entry key.
    static let otherMemberKey = try! EntryKey(parsing: "yusuf333")

    /// A timestamp `milliseconds` after a fixed day in 2026, for hand-built changes.
    static func time(_ milliseconds: UInt64, counter: UInt16 = 0) -> HybridTimestamp {
        HybridTimestamp(milliseconds: baseMilliseconds + milliseconds, counter: counter)
    }

    /// 2026-06-01T00:00:00Z in milliseconds since the epoch.
    static let baseMilliseconds: UInt64 = 1_780_272_000_000

    /// A hand-built change to a case file.
    static func change(
        _ origin: NodeID, _ sequence: UInt64, at milliseconds: UInt64, _ field: String, _ operation: Operation,
        record: RecordID = caseRecord, collection: RecordCollection = .caseFile
    ) -> Change {
        Change(
            dot: Dot(origin: origin, sequence: sequence), timestamp: time(milliseconds), collection: collection,
            record: record, field: field, operation: operation)
    }
}
