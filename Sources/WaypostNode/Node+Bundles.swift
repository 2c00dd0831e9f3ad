import Foundation
import WaypostBundle
public import WaypostCore
public import WaypostStore

extension Node {
    /// What `bundle export` wrote.
    public struct ExportSummary: Sendable, Hashable {
        /// How many changes the bundle holds.
        public let changes: Int
        /// How many bytes the file has.
        public let bytes: Int
    }

    /// Writes a bundle of every change `peer` may lack (all changes if `peer` is nil) to `path`,
    /// atomically: a temporary file renamed into place, so a reader never sees half a bundle.
    public func exportBundle(for peer: String?, to path: String) throws(NodeError) -> ExportSummary {
        do {
            let seen = try peer.map { try replica.peer(named: $0).seen } ?? VersionVector()
            let bundle = Bundle(
                sender: id, createdAt: SQLiteReplica.systemWallClock(), senderVersions: try replica.versions(),
                changes: try replica.changes(after: seen))
            let bytes = BundleWriter.encode(bundle)
            try Node.writeAtomically(bytes, to: path)
            if let peer { try replica.recordExport(to: peer) }
            return ExportSummary(changes: bundle.changes.count, bytes: bytes.count)
        } catch let error as NodeError {
            throw error
        } catch let error as StoreError {
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
    }

    /// Reads, checks and merges a bundle file in one transaction. A bundle that is damaged, truncated,
    /// of a newer format or holds any invalid change is refused whole and changes nothing.
    public func importBundle(from path: String) throws(NodeError) -> ImportSummary {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw NodeError(.file, "cannot read \(path): \(error.localizedDescription)")
        }
        do {
            let bundle = try BundleReader.decode(bytes)
            let report = try replica.apply(bundle.changes)
            try replica.recordSeen(by: bundle.sender, bundle.senderVersions)
            return ImportSummary(sender: bundle.sender, report: report, changes: bundle.changes.count)
        } catch let error as BundleError {
            throw NodeError(.bundle, "\(path): \(error.message); nothing was imported", cause: error)
        } catch let error as StoreError {
            throw NodeError(.bundle, "\(path): \(error.message); nothing was imported", cause: error)
        } catch {
            throw NodeError(.bundle, "\(path): \(error)")
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
