import Foundation
public import WaypostCore
public import WaypostCrypto
public import WaypostStore
public import WaypostTrust

extension Node {
    /// Signs a revocation of `node` and stores it: from now on this node refuses `node` at the
    /// handshake, sends it nothing, and refuses its changes after `lastAccepted`; the revocation goes out
    /// in every bundle and sync session, and every node that holds this node as an admin does the same
    /// (`Protocol/trust.md` §7).
    ///
    /// - Parameter lastAccepted: the last of `node`'s changes still accepted; by default the last one
    ///   this replica holds. It must be one this replica holds a signature at (or 0, none), so that every
    ///   node can verify the changes up to it.
    /// - Throws: ``NodeError`` `invalidDirective` for this node itself, an empty or overlong reason, or a
    ///   last accepted sequence beyond what this replica holds or with no signature.
    public func revoke(_ node: NodeID, reason: String, lastAccepted: UInt64?, keys: SigningKeyPair) throws(NodeError)
        -> Directive
    {
        guard node != id else {
            throw NodeError(.invalidDirective, "a node cannot revoke itself; revoke it from an admin's node")
        }
        let held: UInt64
        do { held = try replica.versions()[node] } catch { throw NodeError(.file, error.message, cause: error) }
        let last = lastAccepted ?? held
        guard last <= held else {
            throw NodeError(
                .invalidDirective,
                "this replica holds changes of \(node.short) only up to \(held); give --last-accepted \(held) or less")
        }
        if last > 0 {
            let signed: Bool
            do { signed = try replica.holdsSignature(at: Dot(origin: node, sequence: last)) } catch {
                throw NodeError(.file, error.message, cause: error)
            }
            guard signed else {
                throw NodeError(
                    .invalidDirective,
                    "change \(last) of \(node.short) carries no signature, so other nodes could not verify the changes up "
                        + "to it; choose a sequence that does ('waypost log' shows them), or \(held), the last one held")
            }
        }
        return try issue(.revoke(node: node, lastAccepted: last), reason: reason, keys: keys)
    }

    /// Signs an erase directive for a record and stores it, so that every node that holds this node as
    /// an admin erases the record's values (`Protocol/replica.md`).
    ///
    /// - Throws: ``NodeError`` `invalidDirective` for an empty or overlong reason; and, until erasure
    ///   is implemented, the replica's refusal to carry it out (nothing is stored then).
    public func erase(_ collection: RecordCollection, _ record: RecordID, reason: String, keys: SigningKeyPair)
        throws(NodeError) -> Directive
    {
        try issue(.erase(collection: collection, record: record), reason: reason, keys: keys)
    }

    /// Whether other nodes are likely to take this node for an admin: it holds a network key or an
    /// admin certificate of a network it joined. (A node that added this one with `peer add --admin`
    /// does too, but this node cannot know that.)
    public func isAdminOfANetwork() throws(NodeError) -> Bool {
        do {
            let trust = try replica.trust()
            let held = try replica.networkKeys()
            return !held.isEmpty || trust.grants(for: id).contains { if case .enrolled(_, .admin) = $0 { true } else { false } }
        } catch {
            throw NodeError(.file, error.message, cause: error)
        }
    }

    private func issue(_ kind: Directive.Kind, reason: String, keys: SigningKeyPair) throws(NodeError) -> Directive {
        let directive: Directive
        do {
            directive = try Directive.issue(kind, reason: reason, issuedAt: SQLiteReplica.systemWallClock(), by: keys)
        } catch {
            throw NodeError(.invalidDirective, error.message, cause: error)
        }
        do { try replica.issue(directive) } catch { throw NodeError(.file, error.message, cause: error) }
        return directive
    }
}
