import Foundation
import GRDB
import WaypostCore
import WaypostTrust

/// How a ``WaypostCore/Change`` is stored in the `changes` table: the operation as a small code, its
/// argument as text, and the superseded dots as a blob of (32-byte node, varint sequence) pairs after
/// a varint count.
enum ChangeRow {
    /// The operation's code: the one the chain and the bundle format use (`Protocol/bundle.md` §4).
    static func code(of operation: WaypostCore.Operation) -> Int64 {
        Int64(ChangeChain.operationCode(operation))
    }

    static func encode(_ dots: [Dot]) -> Data? {
        guard !dots.isEmpty else { return nil }
        var writer = ByteWriter(capacity: dots.count * 34)
        writer.write(varint: UInt64(dots.count))
        for dot in dots {
            writer.write(bytes: dot.origin.bytes)
            writer.write(varint: dot.sequence)
        }
        return Data(writer.bytes)
    }

    static func decodeDots(_ data: Data?) throws -> [Dot] {
        guard let data else { return [] }
        var reader = ByteReader(Array(data))
        let count = try reader.readVarint()
        var dots: [Dot] = []
        for _ in 0..<count {
            let origin = NodeID(bytes: try reader.readBytes(NodeID.byteCount))
            dots.append(Dot(origin: origin, sequence: try reader.readVarint()))
        }
        return dots
    }

    /// The columns `SELECT`ed by ``decode(_:origins:)``, from `changes c`.
    static let columns =
        "c.origin, c.sequence, c.timestamp, c.collection, c.record, c.field, c.operation, c.value, c.supersedes"

    static func decode(_ row: Row, origins: OriginTable) throws -> Change {
        guard let origin = origins.node(row[0]) else {
            throw StoreError(.database, "a change names an unknown origin; the replica is damaged")
        }
        let value: String = row[7]
        let supersedes = try decodeDots(row[8])
        let operation: WaypostCore.Operation
        switch row[6] as Int64 {
        case 1: operation = .assign(value: value, supersedes: supersedes)
        case 2: operation = .insert(element: value)
        case 3: operation = .remove(element: value, supersedes: supersedes)
        case 4: operation = .increment(by: Int64(value) ?? 0)
        case 5: operation = .append(entry: value)
        default: throw StoreError(.database, "a change has an unknown operation; the replica is damaged")
        }
        guard let collection = RecordCollection(rawValue: UInt8(truncatingIfNeeded: row[3] as Int64)) else {
            throw StoreError(.database, "a change has an unknown collection; the replica is damaged")
        }
        return Change(
            dot: Dot(origin: origin, sequence: UInt64(row[1] as Int64)),
            timestamp: HybridTimestamp(rawValue: UInt64(bitPattern: row[2] as Int64)),
            collection: collection, record: RecordID(canonical: row[4]), field: row[5], operation: operation)
    }
}
