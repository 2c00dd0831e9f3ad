public import WaypostCore
public import WaypostCrypto
import WaypostStore

extension Node {
    /// Erases every case due under this node's retention policy (``WaypostStore/RetentionPolicy``): each
    /// with its own erase directive, signed with `keys` and carrying the reason
    /// "retention: closed for more than N days", exactly as ``erase(_:_:reason:keys:)`` does. The directives
    /// then travel in every bundle and sync session; nodes that take this node for an admin erase the
    /// cases too, the others refuse the directives.
    ///
    /// Which cases are due is decided once, from what this replica holds at `now`: a case reopened on
    /// another node and not yet synced here is erased all the same, as it would be by any erase directive.
    ///
    /// - Parameter now: the time to judge by, in milliseconds since the epoch; by default the replica's
    ///   wall clock.
    /// - Returns: the cases erased, by id; none when no policy is set or no case is due.
    /// - Throws: ``NodeError`` `file` if the replica cannot be read or an erasure fails; the cases erased
    ///   before the failure stay erased, and the message says how many there were.
    public func applyRetention(keys: SigningKeyPair, now: UInt64? = nil) throws(NodeError) -> [RecordID] {
        let policy: RetentionPolicy
        let due: [RecordID]
        do {
            guard let set = try replica.retentionPolicy() else { return [] }
            policy = set
            due = try replica.casesDue(under: policy, now: now)
        } catch {
            throw NodeError(.file, error.message, cause: error)
        }
        var erased: [RecordID] = []
        for record in due {
            do {
                _ = try erase(.caseFile, record, reason: policy.erasureReason, keys: keys)
            } catch {
                throw NodeError(
                    error.code,
                    "retention erased \(erased.count) of the \(due.count) cases due, then failed: \(error.message)",
                    cause: error)
            }
            erased.append(record)
        }
        return erased
    }
}
