import Testing
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// Applies `batch` to `replica`, expecting it refused with `code`, and checks that nothing changed:
/// the canonical export, the versions, the number of changes, everything else ``ReplicaSnapshot``
/// covers, the changes held back, and the certificates held.
///
/// - Returns: the error, for checks of its message.
@discardableResult
func expectRefusal(
    _ code: StoreError.Code, applying batch: ChangeBatch, to replica: SQLiteReplica, certificates: [Certificate] = [],
    from sender: NodeID? = nil, sourceLocation: SourceLocation = #_sourceLocation
) throws -> StoreError? {
    let export = try replica.canonicalExport()
    let versions = try replica.versions()
    let changes = try replica.statistics().changes
    let snapshot = try ReplicaSnapshot(replica)
    let pending = try pendingCounts(replica)
    let held = try replica.certificates()

    let error = #expect(throws: StoreError.self, sourceLocation: sourceLocation) {
        try replica.apply(batch, certificates: certificates, from: sender)
    }
    #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
    if code == .untrusted || code == .forged {
        #expect(
            error?.message.contains("nothing was applied") == true, "\(String(describing: error))",
            sourceLocation: sourceLocation)
    }

    #expect(try replica.canonicalExport() == export, sourceLocation: sourceLocation)
    #expect(try replica.versions() == versions, sourceLocation: sourceLocation)
    #expect(try replica.statistics().changes == changes, sourceLocation: sourceLocation)
    #expect(try ReplicaSnapshot(replica) == snapshot, sourceLocation: sourceLocation)
    #expect(try pendingCounts(replica) == pending, sourceLocation: sourceLocation)
    #expect(try replica.certificates() == held, sourceLocation: sourceLocation)
    return error
}
