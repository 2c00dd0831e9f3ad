import WaypostCore

/// The protocol's unsigned numbers (sequence numbers, counts) as SQLite's INTEGER holds them: a signed
/// 64-bit integer (https://sqlite.org/datatype3.html), so 0 to 2^63 - 1 (`Protocol/bundle.md` §2,
/// "Numbers"). Every such number goes in and comes out through here, checked: a number past 2^63 - 1
/// is refused before it is written, and a negative one read back means the file was altered.
///
/// Timestamps and times are not numbers of this kind: any 64-bit value is valid, and they are stored as
/// their bit pattern (`Int64(bitPattern:)`).
enum StoredNumber {
    /// `value` as a column holds it.
    ///
    /// - Throws: ``StoreError`` `invalid` past 2^63 - 1: the caller passed a number no decoder accepts.
    static func column(_ value: UInt64, _ what: @autoclosure () -> String) throws(StoreError) -> Int64 {
        guard let stored = Int64(exactly: value) else {
            throw StoreError(
                .invalid,
                "\(what()) is \(value), past the largest number a replica holds (2^63 - 1); nothing was written")
        }
        return stored
    }

    /// A number read back from a column.
    ///
    /// - Throws: ``StoreError`` `damaged` for a negative one, which no Waypost writes.
    static func read(_ stored: Int64, _ what: @autoclosure () -> String) throws(StoreError) -> UInt64 {
        guard let value = UInt64(exactly: stored) else {
            throw StoreError(
                .damaged,
                "\(what()) in the replica is \(stored), which no Waypost writes: the database file was altered or damaged; "
                    + "run 'waypost audit verify' and restore from a backup or resync from a peer")
        }
        return value
    }
}
