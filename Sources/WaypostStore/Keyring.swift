import Foundation
import GRDB
import WaypostCore
import WaypostCrypto

/// The keys one transaction encrypts and decrypts values with (`Protocol/replica.md` §9): the replica's
/// storage key, and each record's own key, unwrapped from `record_vault` at most once per transaction.
///
/// Every value of a record (in `changes`, `pending` and `shown`) is sealed under that record's key;
/// the record key, and the chain's record keys in `record_keys`, are sealed under the storage key.
/// Erasing a record deletes its key, so every copy of its values left anywhere, in a backup or in pages
/// SQLite has not reused yet, can no longer be read.
///
/// Nonces:
/// - a change's value is sealed with a nonce made of its dot (kind 1, the origin's row id, the sequence):
///   one value per dot, so never two plaintexts under one nonce;
/// - a chain record key, with kind 2 and the dot that introduced it;
/// - a record's state (``RecordState``) and pending changes, with a random nonce stored before the ciphertext.
final class Keyring {
    private let storage: StorageKey
    private var records: [FieldAddress.RecordKey: StorageKey] = [:]
    /// Random nonces are 16 random bytes drawn once per keyring, then a counter: unique without a call to
    /// the system's random source per value (a 128-bit prefix repeats across transactions with negligible
    /// probability).
    private let noncePrefix = Random.bytes(16)
    private var nonceCounter: UInt64 = 0
    /// The last record whose key was asked for, since consecutive changes are mostly to one record.
    private var lastRecord: (record: FieldAddress.RecordKey, key: StorageKey)?

    /// The domain of a record key's associated data.
    static let recordKeyDomain: [UInt8] = Array("waypost/record/v1".utf8) + [0]

    /// The merge path's statements, prepared once for this transaction.
    let statements = HotStatements()

    init(_ storage: StorageKey) { self.storage = storage }


    /// The key of a record; made and stored when the record has none yet and `create` is set.
    func key(for record: FieldAddress.RecordKey, _ db: Database, create: Bool = true) throws -> StorageKey? {
        if let last = lastRecord, last.record == record { return last.key }
        if let key = records[record] {
            lastRecord = (record, key)
            return key
        }
        let collection = Int64(record.collection.rawValue)
        var wrapped: [UInt8]?
        try statements(.selectVaultKey, db)
            .forEachRow(.integer(collection), .text(record.record.text)) { row in wrapped = row.blob(0) }
        let key: StorageKey
        if let wrapped {
            key = try unwrap(wrapped, for: record)
        } else {
            guard create else { return nil }
            key = StorageKey.random()
            try statements(.insertVaultKey, db)
                .run(.integer(collection), .text(record.record.text), .blob(wrap(key, for: record)))
        }
        records[record] = key
        lastRecord = (record, key)
        return key
    }

    /// Forgets a record's key (after it was erased).
    func forget(_ record: FieldAddress.RecordKey) {
        records[record] = nil
        lastRecord = nil
    }

    /// A nonce never used before under any key: the keyring's random prefix and its counter.
    private func freshNonce() -> [UInt8] {
        nonceCounter += 1
        return noncePrefix + withUnsafeBytes(of: nonceCounter.littleEndian) { Array($0) }
    }

    /// A record key sealed under the storage key: a random nonce, then the sealed 32 bytes.
    func wrap(_ key: StorageKey, for record: FieldAddress.RecordKey) -> [UInt8] {
        let nonce = freshNonce()
        let sealed = key.bytes.withUnsafeBytes { secret in
            nonce.withUnsafeBytes { nonce in
                Self.associatedData(record).withUnsafeBytes { data in
                    ValueCipher.seal(secret, key: storage, nonce: nonce, associatedData: data)
                }
            }
        }
        return nonce + sealed
    }

    /// Opens a wrapped record key.
    func unwrap(_ wrapped: [UInt8], for record: FieldAddress.RecordKey) throws -> StorageKey {
        let bytes = try Self.openPrefixed(wrapped, key: storage, associatedData: Self.associatedData(record))
        guard bytes.count == StorageKey.byteCount else { throw StoreError.damaged("a record key") }
        return StorageKey(bytes: SecretBytes(bytes))
    }

    static func associatedData(_ record: FieldAddress.RecordKey) -> [UInt8] {
        recordKeyDomain + [record.collection.rawValue] + Array(record.record.text.utf8)
    }

    // MARK: Values of changes

    /// Where a change's value sits: its record and dot, and the field and timestamp it is bound to.
    struct Place {
        let record: FieldAddress.RecordKey
        let origin: Int64
        let sequence: Int64
        let field: String
        let timestamp: Int64

        /// The associated data: the timestamp (8 bytes little-endian) and the field's UTF-8, so that a change
        /// whose field or time was altered in the file no longer opens.
        var associatedData: [UInt8] {
            withUnsafeBytes(of: timestamp.littleEndian) { Array($0) } + Array(field.utf8)
        }
    }

    // MARK: Padded values

    /// The first byte of a padded value's plaintext (`Protocol/replica.md` §9.5): `FF`, which no UTF-8
    /// text begins with, so that a value sealed before padding (its bare UTF-8) is told apart.
    static let paddedValueFormat: UInt8 = 0xFF

    /// A value's plaintext: ``paddedValueFormat``, its UTF-8, and padding to its bucket.
    static func paddedValue(_ value: String) -> [UInt8] {
        var value = value
        return value.withUTF8 { Padding.padded(UnsafeRawBufferPointer($0), after: paddedValueFormat) }
    }

    /// The value in a plaintext ``paddedValue(_:)`` made, or in one sealed before padding (bare UTF-8).
    ///
    /// - Throws: ``StoreError`` `damaged` for padding ``paddedValue(_:)`` does not make.
    static func value(inPadded plain: [UInt8]) throws -> String {
        guard plain.first == paddedValueFormat else { return String(decoding: plain, as: UTF8.self) }
        guard let count = plain.withUnsafeBytes(Padding.contentCount), count >= 1 else {
            throw StoreError.damaged("a value's padding")
        }
        return String(decoding: plain[1..<count], as: UTF8.self)
    }

    /// Seals a change's value under its record's key, with the nonce its dot gives, padded (§9.5).
    func sealValue(_ value: String, at place: Place, _ db: Database) throws -> [UInt8] {
        let key = try key(for: place.record, db)!
        var plain = Self.paddedValue(value)
        defer { for index in plain.indices { plain[index] = 0 } }
        // The nonce of ``dotNonce(kind:origin:sequence:)`` (kind 1) and the associated data of
        // ``Place/associatedData``, laid out on the stack: this runs once per change merged.
        return withUnsafeTemporaryAllocation(byteCount: ValueCipher.nonceByteCount + 8 + place.field.utf8.count, alignment: 8) {
            buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            buffer[0] = 1
            buffer.storeBytes(of: UInt64(bitPattern: place.origin).littleEndian, toByteOffset: 8, as: UInt64.self)
            buffer.storeBytes(of: UInt64(bitPattern: place.sequence).littleEndian, toByteOffset: 16, as: UInt64.self)
            buffer.storeBytes(of: place.timestamp.littleEndian, toByteOffset: 24, as: Int64.self)
            var field = place.field
            field.withUTF8 { utf8 in
                if let base = utf8.baseAddress { (buffer.baseAddress! + 32).copyMemory(from: base, byteCount: utf8.count) }
            }
            let nonce = UnsafeRawBufferPointer(rebasing: buffer[..<ValueCipher.nonceByteCount])
            let associatedData = UnsafeRawBufferPointer(rebasing: buffer[ValueCipher.nonceByteCount...])
            return plain.withUnsafeBytes { plain in
                ValueCipher.seal(plain, key: key, nonce: nonce, associatedData: associatedData)
            }
        }
    }

    /// Opens a change's value sealed by ``sealValue(_:at:_:)``.
    func openValue(_ sealed: UnsafeRawBufferPointer, at place: Place, _ db: Database) throws -> String {
        guard let key = try key(for: place.record, db, create: false) else { throw StoreError.damaged("a value's record key") }
        let nonce = Self.dotNonce(kind: 1, origin: place.origin, sequence: place.sequence)
        do {
            let plain = try nonce.withUnsafeBytes { nonce in
                try place.associatedData.withUnsafeBytes { try ValueCipher.open(sealed, key: key, nonce: nonce, associatedData: $0) }
            }
            return try Self.value(inPadded: plain)
        } catch {
            throw StoreError.damaged("a value")
        }
    }

    /// Seals a chain record key (`Protocol/trust.md` §2.1) under the storage key, bound to its record, with
    /// the nonce of the dot that introduced it. Not under the record's key: an erased record's chain keys
    /// must outlive it, to verify its origins' later changes (`Protocol/replica.md` §9.4).
    func sealChainKey(_ chainKey: [UInt8], of record: FieldAddress.RecordKey, origin: Int64, introduced: Int64) -> [UInt8] {
        let nonce = Self.dotNonce(kind: 2, origin: origin, sequence: introduced)
        return chainKey.withUnsafeBytes { plain in
            nonce.withUnsafeBytes { nonce in
                Self.associatedData(record).withUnsafeBytes { ValueCipher.seal(plain, key: storage, nonce: nonce, associatedData: $0) }
            }
        }
    }

    /// Opens a chain record key.
    func openChainKey(_ sealed: [UInt8], of record: FieldAddress.RecordKey, origin: Int64, introduced: Int64) throws -> [UInt8] {
        let nonce = Self.dotNonce(kind: 2, origin: origin, sequence: introduced)
        do {
            return try sealed.withUnsafeBytes { sealed in
                try nonce.withUnsafeBytes { nonce in
                    try Self.associatedData(record).withUnsafeBytes {
                        try ValueCipher.open(sealed, key: storage, nonce: nonce, associatedData: $0)
                    }
                }
            }
        } catch {
            throw StoreError.damaged("a chain record key")
        }
    }

    static func dotNonce(kind: UInt8, origin: Int64, sequence: Int64) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: ValueCipher.nonceByteCount)
        nonce[0] = kind
        withUnsafeBytes(of: UInt64(bitPattern: origin).littleEndian) { nonce.replaceSubrange(8..<16, with: $0) }
        withUnsafeBytes(of: UInt64(bitPattern: sequence).littleEndian) { nonce.replaceSubrange(16..<24, with: $0) }
        return nonce
    }

    // MARK: Values with random nonces

    /// Seals bytes under a record's key with a fresh random nonce, stored before the ciphertext.
    func sealRandomized(_ plain: [UInt8], of record: FieldAddress.RecordKey, associatedData: [UInt8], _ db: Database) throws
        -> [UInt8]
    {
        let key = try key(for: record, db)!
        let nonce = freshNonce()
        return nonce
            + plain.withUnsafeBytes { plain in
                nonce.withUnsafeBytes { nonce in
                    associatedData.withUnsafeBytes { ValueCipher.seal(plain, key: key, nonce: nonce, associatedData: $0) }
                }
            }
    }

    /// Opens what ``sealRandomized(_:of:associatedData:_:)`` sealed.
    func openRandomized(_ sealed: [UInt8], of record: FieldAddress.RecordKey, associatedData: [UInt8], _ db: Database) throws
        -> [UInt8]
    {
        guard let key = try key(for: record, db, create: false) else { throw StoreError.damaged("a record key") }
        return try Self.openPrefixed(sealed, key: key, associatedData: associatedData)
    }

    /// Opens a random nonce followed by its ciphertext.
    static func openPrefixed(_ sealed: [UInt8], key: StorageKey, associatedData: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= ValueCipher.nonceByteCount + ValueCipher.tagByteCount else { throw StoreError.damaged("a sealed value") }
        do {
            return try sealed.withUnsafeBytes { bytes in
                try associatedData.withUnsafeBytes { data in
                    try ValueCipher.open(
                        UnsafeRawBufferPointer(rebasing: bytes[ValueCipher.nonceByteCount...]), key: key,
                        nonce: UnsafeRawBufferPointer(rebasing: bytes[..<ValueCipher.nonceByteCount]), associatedData: data)
                }
            }
        } catch {
            throw StoreError.damaged("a sealed value")
        }
    }
}
