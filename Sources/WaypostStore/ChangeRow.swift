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
            let sequence = try reader.readVarint()
            // Written from a checked change (Change.checkNumbers); a larger one means the file was altered.
            guard sequence <= Dot.maximumSequence else { throw StoreError.damaged("a superseded dot") }
            dots.append(Dot(origin: origin, sequence: sequence))
        }
        return dots
    }

    /// The columns `SELECT`ed by ``decode(_:origins:)``, from `changes c`.
    static let columns =
        "c.origin, c.sequence, c.timestamp, c.collection, c.record, c.field, c.operation, c.value, c.supersedes"

    static func decode(_ row: Row, origins: OriginTable, keyring: Keyring, _ db: Database) throws -> Change {
        let origin: Int64 = row[0], sequence: Int64 = row[1], timestamp: Int64 = row[2], collection: Int64 = row[3]
        let record: String = row[4], field: String = row[5]
        let sealed: Data = row[7]
        let place = Keyring.Place(
            record: try recordKey(collection, record), origin: origin, sequence: sequence, field: field, timestamp: timestamp)
        // An erased change's value is empty (a sealed one is never shorter than its tag).
        let value = sealed.isEmpty ? "" : try sealed.withUnsafeBytes { try keyring.openValue($0, at: place, db) }
        return try make(
            origin: origin, sequence: sequence, timestamp: timestamp, collection: collection, record: record, field: field,
            code: row[6], value: value, supersedes: (row[8] as Data?).map(Array.init), origins: origins)
    }

    /// Decodes the same columns from a row read directly (``DirectRow``), for the batches sync sends.
    static func decode(_ row: DirectRow, origins: OriginTable, keyring: Keyring, _ db: Database) throws -> Change {
        let origin = row.integer(0), sequence = row.integer(1), timestamp = row.integer(2), collection = row.integer(3)
        let record = row.text(4), field = row.text(5)
        let place = Keyring.Place(
            record: try recordKey(collection, record), origin: origin, sequence: sequence, field: field, timestamp: timestamp)
        let value = try row.withBlob(7) { $0.isEmpty ? "" : try keyring.openValue($0, at: place, db) }
        return try make(
            origin: origin, sequence: sequence, timestamp: timestamp, collection: collection, record: record,
            field: field, code: row.integer(6), value: value, supersedes: row.blob(8), origins: origins)
    }

    static func recordKey(_ collection: Int64, _ record: String) throws -> FieldAddress.RecordKey {
        guard let collection = RecordCollection(rawValue: UInt8(truncatingIfNeeded: collection)) else {
            throw StoreError(.database, "a change has an unknown collection; the replica is damaged")
        }
        return FieldAddress.RecordKey(collection: collection, record: RecordID(canonical: record))
    }

    static func make(
        origin: Int64, sequence: Int64, timestamp: Int64, collection: Int64, record: String, field: String, code: Int64,
        value: String, supersedes blob: [UInt8]?, origins: OriginTable
    ) throws -> Change {
        guard let node = origins.node(origin) else {
            throw StoreError(.database, "a change names an unknown origin; the replica is damaged")
        }
        let supersedes = try decodeDots(blob.map { Data($0) })
        let operation: WaypostCore.Operation
        switch code {
        case 1: operation = .assign(value: value, supersedes: supersedes)
        case 2: operation = .insert(element: value)
        case 3: operation = .remove(element: value, supersedes: supersedes)
        case 4: operation = .increment(by: Int64(value) ?? 0)
        case 5: operation = .append(entry: value)
        default: throw StoreError(.database, "a change has an unknown operation; the replica is damaged")
        }
        guard let collection = RecordCollection(rawValue: UInt8(truncatingIfNeeded: collection)) else {
            throw StoreError(.database, "a change has an unknown collection; the replica is damaged")
        }
        return Change(
            dot: Dot(origin: node, sequence: try StoredNumber.read(sequence, "a change's sequence number")),
            timestamp: HybridTimestamp(rawValue: UInt64(bitPattern: timestamp)),
            collection: collection, record: RecordID(canonical: record), field: field, operation: operation)
    }
}
