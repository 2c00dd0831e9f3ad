import WaypostCore

/// A record's shown values, as one `shown` row holds them (sealed, `Protocol/replica.md` §9.3): for each
/// top-level field, its shown value with its SQL type and how many of its values are in conflict.
///
/// Encoding: a `varint` count, then per field in name order: the name (`varint` length and UTF-8), the
/// conflict count (`varint`), a type byte and the value: `n` NULL; `i` an 8-byte little-endian integer;
/// `r` an 8-byte little-endian IEEE 754 double; `p` a `varint` length and the UTF-8 text padded to its
/// bucket (`Protocol/replica.md` §9.5), so that the document's length does not depend on which coded value
/// a field holds. Documents written before padding hold `t`, a `varint` length and UTF-8 text; they are
/// read as they are, and rewritten with `p` when the record next changes.
///
/// Values are kept encoded: rewriting one field of a record decodes only the others' names.
struct ShownDocument {
    /// One field's shown value, encoded (type byte and value), and its conflict count.
    struct Entry: Equatable {
        var encodedValue: ArraySlice<UInt8>
        var conflicts: Int

        init(value: SQLValue, conflicts: Int) {
            var writer = ByteWriter(capacity: 16)
            switch value {
            case .null, .blob:
                writer.write(UInt8(ascii: "n"))
            case .integer(let number):
                writer.write(UInt8(ascii: "i"))
                writer.write(bytes: withUnsafeBytes(of: number.littleEndian) { Array($0) })
            case .real(let number):
                writer.write(UInt8(ascii: "r"))
                writer.write(bytes: withUnsafeBytes(of: number.bitPattern.littleEndian) { Array($0) })
            case .text(let text):
                writer.write(UInt8(ascii: "p"))
                writer.write(paddedString: text)
            }
            encodedValue = writer.bytes[...]
            self.conflicts = conflicts
        }

        init(encodedValue: ArraySlice<UInt8>, conflicts: Int) {
            self.encodedValue = encodedValue
            self.conflicts = conflicts
        }

        /// The value, decoded.
        ///
        /// - Throws: ``StoreError`` `damaged` for bytes ``init(value:conflicts:)`` did not make.
        func value() throws -> SQLValue {
            var reader = ByteReader(Array(encodedValue))
            do {
                switch try reader.readByte() {
                case UInt8(ascii: "n"): return .null
                case UInt8(ascii: "i"):
                    return .integer(Int64(littleEndian: try reader.readBytes(8).withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }))
                case UInt8(ascii: "r"):
                    return .real(
                        Double(bitPattern: UInt64(littleEndian: try reader.readBytes(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })))
                case UInt8(ascii: "p"): return .text(try reader.readPaddedString())
                case UInt8(ascii: "t"): return .text(try reader.readString(limit: .max))
                default: throw StoreError.damaged("a record's shown values")
                }
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError.damaged("a record's shown values")
            }
        }
    }

    /// The fields' entries by name, kept in name order: a record has a few dozen fields at most, so a list
    /// searched in order costs less than hashing every name, and it is encoded without sorting.
    struct Entries: Equatable {
        private(set) var named: [Named] = []

        struct Named: Equatable {
            let name: String
            var entry: Entry
        }

        subscript(name: String) -> Entry? {
            get { named.first { $0.name == name }?.entry }
            set {
                // Decoding and most updates come in name order: look from the end.
                var index = named.endIndex
                while index > named.startIndex, named[index - 1].name >= name { index -= 1 }
                let found = index < named.endIndex && named[index].name == name
                switch (newValue, found) {
                case (let entry?, true): named[index].entry = entry
                case (let entry?, false): named.insert(Named(name: name, entry: entry), at: index)
                case (nil, true): named.remove(at: index)
                case (nil, false): break
                }
            }
        }

        var count: Int { named.count }
        var values: [Entry] { named.map(\.entry) }
        mutating func removeAll() { named.removeAll() }
    }

    var entries = Entries()

    init() {}

    /// Rewrites the shown values of `fields` (top-level field names) from `view`, or of all its fields
    /// when `fields` is nil: a change to one field leaves the others' values as they were.
    mutating func update(from view: RecordView, schema: Schema, fields only: [Substring]? = nil) {
        if let only {
            for name in only { entries[String(name)] = nil }
        } else {
            entries.removeAll()
        }
        var fields = view.fieldsJSON(schema: schema)
        if let only { fields = fields.filter { only.contains(Substring($0.key)) } }
        let conflicts = view.conflicts
        for (name, json) in fields {
            let value: SQLValue
            switch json {
            case .null: value = .null
            case .bool(let flag): value = .integer(flag ? 1 : 0)
            case .number(let text): value = Int64(text).map(SQLValue.integer) ?? Double(text).map(SQLValue.real) ?? .text(text)
            case .string(let text): value = .text(text)
            case .array, .object: value = .text(json.canonical)
            }
            let conflictCount = conflicts.isEmpty ? 0 : conflicts.filter { $0.field == name || $0.field.hasPrefix(name + ".") }.count
            entries[name] = Entry(value: value, conflicts: conflictCount)
        }
    }

    /// The conflicts of every field together: what the views' `conflicts` column shows.
    var conflicts: Int { entries.values.reduce(0) { $0 + $1.conflicts } }

    /// The encoding, every text as `p` (a `t` text a document written before padding still holds is padded
    /// now); with `padded` false, every text as `t`, as before padding: only to measure what padding costs.
    func encoded(padded: Bool = true) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + entries.count * 40)
        writer.write(varint: UInt64(entries.count))
        for named in entries.named {
            let (name, entry) = (named.name, named.entry)
            writer.write(string: name)
            writer.write(varint: UInt64(entry.conflicts))
            if entry.encodedValue.first == UInt8(ascii: padded ? "t" : "p"), case .text(let text)? = try? entry.value() {
                writer.write(UInt8(ascii: padded ? "p" : "t"))
                if padded { writer.write(paddedString: text) } else { writer.write(string: text) }
            } else {
                writer.write(bytes: Array(entry.encodedValue))
            }
        }
        return writer.bytes
    }

    /// Decodes what ``encoded()`` made: the names and conflict counts, with each value left encoded.
    ///
    /// - Throws: ``StoreError`` `damaged` for bytes it did not make.
    init(decoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes)
        _ = try RecordState.readFormat(&reader)
        try self.init(reading: &reader, from: bytes)
    }

    /// Decodes a document at the start of `reader`, which reads `bytes`, and leaves the reader after it
    /// (a ``RecordState`` continues there).
    init(reading reader: inout ByteReader, from bytes: [UInt8]) throws {
        do {
            let count = try reader.readVarint()
            guard count <= 4096 else { throw StoreError.damaged("a record's shown values") }
            for _ in 0..<count {
                let name = try reader.readString(limit: 1024)
                guard let conflicts = Int(exactly: try reader.readVarint()) else {
                    throw StoreError.damaged("a record's shown values")
                }
                let start = bytes.count - reader.remaining
                switch try reader.readByte() {
                case UInt8(ascii: "n"): break
                case UInt8(ascii: "i"), UInt8(ascii: "r"): try reader.skip(8)
                case UInt8(ascii: "t"), UInt8(ascii: "p"): try reader.skipLengthPrefixed(limit: .max)
                default: throw StoreError.damaged("a record's shown values")
                }
                entries[name] = Entry(encodedValue: bytes[start..<(bytes.count - reader.remaining)], conflicts: conflicts)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.damaged("a record's shown values")
        }
    }
}
