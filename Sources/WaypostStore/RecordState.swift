import WaypostCore

/// One record's merge state, as its `shown` row holds it (sealed under the record's key,
/// `Protocol/replica.md` §9.3): its shown values, the values currently live in each field, and the
/// dots overwritten before they arrived.
///
/// Keeping a record's state in one row, rather than a row per live value, makes a merge read and write
/// each record once per transaction instead of each value (issue #5: the row per value was the largest
/// single cost of an import).
///
/// Encoding: the ``ShownDocument``, then
/// - `varint` count of fields with live values; per field, in name order: the field path (`varint`
///   length and UTF-8), a `varint` count of values, and per value in dot order: the origin's row id and
///   the sequence (`varint`s), the timestamp (8 bytes big-endian) and the value (`varint` length and
///   UTF-8);
/// - `varint` count of fields with dots overwritten before they arrived; per field: the path, a `varint`
///   count of dots, and per dot the origin's row id and the sequence (`varint`s).
///
/// A document that ends after its shown values (one written before this state moved here) has no live
/// values.
///
/// Padding (`Protocol/replica.md` §9.5): a document begins with ``paddedFormat`` (`FF`), and then every
/// live value is padded to its bucket, as the shown values' `p` texts are. A document written before that
/// begins with its field count (a `varint` below 128: a record has a few dozen fields at most) and holds
/// live values unpadded; it is read as it is and rewritten padded when the record next changes.
struct RecordState {
    /// The first byte of a document whose texts are padded.
    static let paddedFormat: UInt8 = 0xFF

    /// Reads the format byte at the start of a document if there is one: whether its texts are padded.
    static func readFormat(_ reader: inout ByteReader) throws -> Bool {
        var probe = reader
        guard reader.remaining > 0, try probe.readByte() == paddedFormat else { return false }
        reader = probe
        return true
    }

    /// A live value, its origin named by its row id in `origins`.
    struct StoredValue: Equatable {
        let dot: StoredDot
        let timestamp: UInt64
        let value: String
    }

    /// A dot, its origin named by its row id in `origins`.
    struct StoredDot: Hashable, Comparable {
        let origin: Int64
        let sequence: UInt64

        static func < (lhs: StoredDot, rhs: StoredDot) -> Bool {
            (lhs.origin, lhs.sequence) < (rhs.origin, rhs.sequence)
        }
    }

    /// The shown values behind the SQL views.
    var shown = ShownDocument()
    /// The live values of each field path, in dot order.
    private(set) var live: [String: [StoredValue]] = [:]
    /// Dots overwritten by a change applied here before they arrived: they are not live when they do.
    private(set) var superseded: [String: [StoredDot]] = [:]

    init() {}

    /// Whether the record holds no live value and waits for no dot.
    var isEmpty: Bool { live.isEmpty && superseded.isEmpty }

    /// Takes the value written at `dot` out of `field`, if it is there.
    mutating func removeLive(_ dot: StoredDot, field: String) {
        guard var values = live[field], let index = values.firstIndex(where: { $0.dot == dot }) else { return }
        values.remove(at: index)
        live[field] = values.isEmpty ? nil : values
    }

    /// Remembers that `dot` was overwritten before it arrived.
    mutating func supersede(_ dot: StoredDot, field: String) {
        if superseded[field]?.contains(dot) == true { return }
        superseded[field, default: []].append(dot)
    }

    /// Adds a value that just arrived, unless a change applied earlier overwrote its dot already (that
    /// mark is then spent: each dot arrives once).
    mutating func arrive(_ value: StoredValue, field: String) {
        if var dots = superseded[field], let index = dots.firstIndex(of: value.dot) {
            dots.remove(at: index)
            superseded[field] = dots.isEmpty ? nil : dots
            return
        }
        var values = live[field, default: []]
        let index = values.firstIndex { value.dot < $0.dot } ?? values.endIndex
        values.insert(value, at: index)
        live[field] = values
    }

    /// The live values of the fields whose top-level name is in `only` (all when nil), with their
    /// origins' node ids.
    ///
    /// - Throws: ``StoreError`` `database` for an origin row id `origins` does not hold.
    func liveValues(origins: OriginTable, only: [Substring]? = nil) throws -> [String: [LiveValue]] {
        var result: [String: [LiveValue]] = [:]
        for (field, values) in live {
            if let only, !only.contains(Self.topLevelName(of: field)) { continue }
            result[field] = try values.map { try $0.liveValue(origins) }
        }
        return result
    }

    /// The top-level field of a path: `household` for `household.KEY.sex`.
    static func topLevelName(of path: String) -> Substring {
        let utf8 = path.utf8
        return path[..<(utf8.firstIndex(of: UInt8(ascii: ".")) ?? utf8.endIndex)]
    }

    /// The live values of one field path, with their origins' node ids.
    func liveValues(of field: String, origins: OriginTable) throws -> [LiveValue] {
        try (live[field] ?? []).map { try $0.liveValue(origins) }
    }

    /// The encoding; with `padded` false, the encoding before padding (no format byte, texts unpadded):
    /// only to measure what padding costs.
    func encoded(padded: Bool = true) -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        if padded { writer.write(Self.paddedFormat) }
        writer.write(bytes: shown.encoded(padded: padded))
        writer.write(varint: UInt64(live.count))
        for (field, values) in live.sorted(by: { $0.key < $1.key }) {
            writer.write(string: field)
            writer.write(varint: UInt64(values.count))
            for value in values {
                writer.write(varint: UInt64(bitPattern: value.dot.origin))
                writer.write(varint: value.dot.sequence)
                writer.write(bigEndian: value.timestamp)
                if padded { writer.write(paddedString: value.value) } else { writer.write(string: value.value) }
            }
        }
        writer.write(varint: UInt64(superseded.count))
        for (field, dots) in superseded.sorted(by: { $0.key < $1.key }) {
            writer.write(string: field)
            writer.write(varint: UInt64(dots.count))
            for dot in dots {
                writer.write(varint: UInt64(bitPattern: dot.origin))
                writer.write(varint: dot.sequence)
            }
        }
        return writer.bytes
    }

    /// Decodes what ``encoded()`` made.
    ///
    /// - Throws: ``StoreError`` `damaged` for bytes it did not make.
    init(decoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes)
        let padded: Bool
        do { padded = try Self.readFormat(&reader) } catch { throw StoreError.damaged("a record's state") }
        shown = try ShownDocument(reading: &reader, from: bytes)
        guard reader.remaining > 0 else { return }
        do {
            let fields = try reader.readVarint()
            guard fields <= 65_536 else { throw StoreError.damaged("a record's state") }
            for _ in 0..<fields {
                let field = try reader.readString(limit: 4096)
                let count = try reader.readVarint()
                guard count <= UInt64(reader.remaining) else { throw StoreError.damaged("a record's state") }
                var values: [StoredValue] = []
                values.reserveCapacity(Int(count))
                for _ in 0..<count {
                    let dot = StoredDot(origin: Int64(bitPattern: try reader.readVarint()), sequence: try reader.readVarint())
                    values.append(
                        StoredValue(
                            dot: dot, timestamp: try reader.readUInt64(),
                            value: padded ? try reader.readPaddedString() : try reader.readString(limit: .max)))
                }
                live[field] = values
            }
            let supersededFields = try reader.readVarint()
            guard supersededFields <= 65_536 else { throw StoreError.damaged("a record's state") }
            for _ in 0..<supersededFields {
                let field = try reader.readString(limit: 4096)
                let count = try reader.readVarint()
                guard count <= UInt64(reader.remaining) else { throw StoreError.damaged("a record's state") }
                superseded[field] = try (0..<count).map { _ in
                    StoredDot(origin: Int64(bitPattern: try reader.readVarint()), sequence: try reader.readVarint())
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.damaged("a record's state")
        }
        guard reader.remaining == 0 else { throw StoreError.damaged("a record's state") }
    }
}

extension RecordState.StoredValue {
    /// The value as the merge rules see it, its origin's node id looked up.
    func liveValue(_ origins: OriginTable) throws -> LiveValue {
        guard let node = origins.node(dot.origin) else {
            throw StoreError(.database, "a live value names an unknown origin; the replica is damaged")
        }
        return LiveValue(dot: Dot(origin: node, sequence: dot.sequence), timestamp: HybridTimestamp(rawValue: timestamp), value: value)
    }
}
