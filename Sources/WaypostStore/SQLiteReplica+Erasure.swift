import GRDB
import WaypostCore

extension ApplyContext {
    /// Carries out an erase directive that this node has just accepted (`Protocol/trust.md` §7,
    /// `Protocol/replica.md`): called once per newly stored erase directive, inside the transaction that
    /// stores it, after the batch's changes are applied and before the shown values of the records they
    /// touched are recomputed. Throwing rolls the whole transaction back, the directive included.
    ///
    /// - Throws: ``StoreError`` `invalid`, for now: erasure is not implemented yet, so an erase
    ///   directive (and any batch that carries a new one) is refused rather than stored without effect.
    mutating func erase(_ collection: RecordCollection, _ record: RecordID, _ db: Database) throws {
        // To be filled by the erasure work (it holds the record encryption keys this needs).
        throw StoreError(
            .invalid,
            "erasure is not implemented yet: this node cannot carry out the erase directive for \(collection) \(record); "
                + "nothing was applied (update Waypost)")
    }
}
