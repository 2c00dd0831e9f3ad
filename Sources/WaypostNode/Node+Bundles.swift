import Foundation
import WaypostBundle
public import WaypostCore
public import WaypostCrypto
public import WaypostStore

extension Node {
    /// What `bundle export` wrote.
    public struct ExportSummary: Sendable, Hashable {
        /// How many changes the bundle holds.
        public let changes: Int
        /// How many bytes the file has.
        public let bytes: Int
        /// Whom it is encrypted for.
        public let recipients: [NodeID]
    }

    /// Writes an encrypted bundle for `peers` (or for this node itself, as a backup, when `peers` is
    /// empty) to `path`, atomically: a temporary file renamed into place, so a reader never sees half a
    /// bundle. It holds every change the peers may lack (every change when `all` is set or no peer is
    /// named), every membership certificate and every admin directive this node holds.
    public func exportBundle(for peers: [String], all: Bool, to path: String, keys: SigningKeyPair) throws(NodeError)
        -> ExportSummary
    {
        do {
            let records = try peers.map { name throws(StoreError) in try replica.peer(named: name) }
            guard Set(records.map(\.node)).count == records.count else {
                throw NodeError(.invalidName, "a peer is named twice with --to")
            }
            var seen = VersionVector()
            if !all, let first = records.first {
                // What every recipient has seen: the pointwise minimum of their vectors.
                var entries: [NodeID: UInt64] = [:]
                for origin in first.seen.origins { entries[origin] = records.map { $0.seen[origin] }.min() }
                seen = VersionVector(entries)
            }
            let bundle = Bundle(
                sender: id, createdAt: SQLiteReplica.systemWallClock(), senderVersions: try replica.versions(),
                batch: try replica.changes(after: seen), certificates: try replica.certificates(),
                directives: try replica.directives())
            let recipients = records.isEmpty ? [id] : records.map(\.node)
            let bytes = try SealedBundle.seal(BundleWriter.encode(bundle), from: keys, to: recipients)
            try Node.writeAtomically(bytes, to: path)
            for name in peers { try replica.recordExport(to: name) }
            return ExportSummary(changes: bundle.changes.count, bytes: bytes.count, recipients: recipients)
        } catch let error as NodeError {
            throw error
        } catch let error as StoreError {
            throw NodeError(error.code == .notFound ? .invalidName : .bundle, error.message, cause: error)
        } catch let error as BundleError {
            throw NodeError(.bundle, error.message, cause: error)
        } catch {
            throw NodeError(.file, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// What `bundle import` did.
    public struct ImportSummary: Sendable, Hashable {
        /// The node that wrote the bundle.
        public let sender: NodeID
        /// What the merge did.
        public let report: ApplyReport
        /// How many changes the bundle held.
        public let changes: Int
        /// How many directives the bundle held.
        public let directives: Int
    }

    /// Decrypts, checks and merges a bundle file in one transaction. A bundle that is damaged,
    /// truncated, not for this node, of a newer format, from an untrusted node, or holds any change
    /// that is invalid or does not match its origin's signature, is refused whole and changes nothing.
    public func importBundle(from path: String, keys: SigningKeyPair) throws(NodeError) -> ImportSummary {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw NodeError(.file, "cannot read \(path): \(error.localizedDescription)")
        }
        do {
            let (sender, frames) = try SealedBundle.open(bytes, with: keys)
            let bundle = try BundleReader.decode(frames)
            guard bundle.sender == sender else {
                throw BundleError(.corrupt, "the bundle's contents name another sender than its signature; it is forged")
            }
            let report = try replica.apply(
                bundle.batch, certificates: bundle.certificates, directives: bundle.directives, from: sender)
            try replica.recordSeen(by: bundle.sender, bundle.senderVersions)
            return ImportSummary(
                sender: bundle.sender, report: report, changes: bundle.changes.count, directives: bundle.directives.count)
        } catch let error as BundleError {
            throw NodeError(.bundle, "\(path): \(error.message); nothing was imported", cause: error)
        } catch let error as StoreError {
            let code: NodeError.Code = error.code == .untrusted ? .untrusted : .bundle
            throw NodeError(code, "\(path): \(error.message)", cause: error)
        } catch {
            throw NodeError(.bundle, "\(path): \(error)")
        }
    }

    /// The recipients a bundle file is encrypted for: what a node that is not one can say about it.
    public static func recipients(ofBundleAt path: String) throws(NodeError) -> [NodeID] {
        do {
            return try SealedBundle.recipients(of: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        } catch let error as BundleError {
            throw NodeError(.bundle, "\(path): \(error.message)", cause: error)
        } catch {
            throw NodeError(.file, "cannot read \(path): \(error.localizedDescription)")
        }
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".partial-\(getpid())"
        let descriptor = Foundation.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw NodeError(.file, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            guard written > 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                unlink(temporary)
                throw NodeError(.file, "cannot write \(path): \(reason)")
            }
            offset += written
        }
        guard fsync(descriptor) == 0, close(descriptor) == 0, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw NodeError(.file, "cannot write \(path): \(reason)")
        }
    }
}
