import WaypostCore

/// A record's shown values, as one `shown` row holds them (sealed, `Protocol/replica.md` §9.3): for each
/// top-level field, its shown value with its SQL type and how many of its values are in conflict.
///
/// Encoding: a `varint` count, then per field in name order: the name (`varint` length and UTF-8), the
/// conflict count (`varint`), a type byte and the value: `n` NULL; `i` an 8-byte little-endian integer;
/// `r` an 8-byte little-endian IEEE 754 double; `t` a `varint` length and UTF-8 text.
struct ShownDocument {
    /// One field's shown value and conflict count.
    struct Entry: Equatable {
        var value: SQLValue
        var conflicts: Int
    }

    var entries: [String: Entry] = [:]

    init() {}

    /// The conflicts of every field together: what the views' `conflicts` column shows.
    var conflicts: Int { entries.values.reduce(0) { $0 + $1.conflicts } }

    func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + entries.count * 40)
        writer.write(varint: UInt64(entries.count))
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            writer.write(string: name)
            writer.write(varint: UInt64(entry.conflicts))
            switch entry.value {
            case .null, .blob:
                writer.write(UInt8(ascii: "n"))
            case .integer(let number):
                writer.write(UInt8(ascii: "i"))
                writer.write(bytes: withUnsafeBytes(of: number.littleEndian) { Array($0) })
            case .real(let number):
                writer.write(UInt8(ascii: "r"))
                writer.write(bytes: withUnsafeBytes(of: number.bitPattern.littleEndian) { Array($0) })
            case .text(let text):
                writer.write(UInt8(ascii: "t"))
                writer.write(string: text)
            }
        }
        return writer.bytes
    }

    /// Decodes what ``encoded()`` made.
    ///
    /// - Throws: ``StoreError`` `damaged` for bytes it did not make.
    init(decoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes)
        do {
            let count = try reader.readVarint()
            guard count <= 4096 else { throw StoreError.damaged("a record's shown values") }
            for _ in 0..<count {
                let name = try reader.readString(limit: 1024)
                let conflicts = Int(try reader.readVarint())
                let value: SQLValue
                switch try reader.readByte() {
                case UInt8(ascii: "n"): value = .null
                case UInt8(ascii: "i"):
                    value = .integer(Int64(littleEndian: try reader.readBytes(8).withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }))
                case UInt8(ascii: "r"):
                    value = .real(
                        Double(bitPattern: UInt64(littleEndian: try reader.readBytes(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })))
                case UInt8(ascii: "t"): value = .text(try reader.readString(limit: .max))
                default: throw StoreError.damaged("a record's shown values")
                }
                entries[name] = Entry(value: value, conflicts: conflicts)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.damaged("a record's shown values")
        }
    }
}
