import Foundation
import WaypostCore
import WaypostCrypto
import WaypostNode
import WaypostStore

/// Nodes in a scratch directory, and the data a benchmark writes.
struct Workbench {
    let directory: String
    private var counter = 0

    init() throws {
        directory = NSTemporaryDirectory() + "waypost-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// A workbench in an existing directory.
    init(directory: String) { self.directory = directory }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// A new node with a plain key file.
    mutating func node(_ name: String) throws -> (Node, SigningKeyPair) {
        counter += 1
        let node = try Node.initialize(home: NodeHome(explicit: "\(directory)/\(name)-\(counter)"), name: name, passphrase: nil)
        return (node, try node.signingKeys { "" })
    }

    /// Makes two nodes trust each other.
    /// The bytes of a node's replica on disk: the database file and its WAL.
    static func databaseBytes(_ node: Node) throws -> Int {
        try [node.home.replicaPath, node.home.replicaPath + "-wal"].reduce(0) { total, path in
            guard FileManager.default.fileExists(atPath: path) else { return total }
            return total + ((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
    }

    static func pair(_ a: Node, _ b: Node) throws {
        try a.replica.addPeer(named: "peer-\(b.id.short)", node: b.id)
        try b.replica.addPeer(named: "peer-\(a.id.short)", node: a.id)
    }

    /// A text of exactly 32 characters that differs with `seed`.
    static func text(_ seed: Int, _ salt: String) -> String {
        let base = "\(salt)-\(seed)-"
        return base + String(repeating: "x", count: max(0, 32 - base.count))
    }

    /// The ten fields of a benchmark case.
    static func caseEdits(_ index: Int, schema: CollectionSchema) throws -> [Edit] {
        try [
            "status=open", "given_name=\(text(index, "g"))", "family_name=\(text(index, "f"))",
            "date_of_birth=19\(50 + index % 50)-0\(1 + index % 9)-1\(index % 9)", "dob_estimated=\(index % 2 == 0)",
            "sex=\(index % 2 == 0 ? "female" : "male")", "nationality=sy", "risk_level=medium",
            "owner=\(text(index, "o"))", "location=\(text(index, "l"))",
        ].map { text throws(CoreError) in try Edit(parsing: text, in: schema) }
    }

    /// Creates `count` ten-field cases on `node`, `batch` per transaction.
    static func createCases(_ count: Int, on node: Node, keys: SigningKeyPair, batch: Int = 1000) throws -> [RecordID] {
        let schema = node.replica.schema[.caseFile]
        var ids: [RecordID] = []
        var start = 0
        while start < count {
            let end = min(count, start + batch)
            let records = try (start..<end).map { try caseEdits($0, schema: schema) }
            ids += try node.replica.createMany(.caseFile, records: records, signer: keys)
            start = end
        }
        return ids
    }

    /// Edits `fields` of every record in `ids` on `node`, `batch` records per transaction.
    static func edit(_ ids: [RecordID], fields: [String], salt: String, on node: Node, keys: SigningKeyPair, batch: Int = 1000)
        throws
    {
        let schema = node.replica.schema[.caseFile]
        var start = 0
        while start < ids.count {
            let end = min(ids.count, start + batch)
            let updates = try (start..<end).map { index in
                (record: ids[index], edits: try fields.map { try Edit(parsing: "\($0)=\(text(index, salt))", in: schema) })
            }
            _ = try node.replica.updateMany(.caseFile, updates, signer: keys)
            start = end
        }
    }

    /// Copies a node's home (its replica must not be in use by a writer).
    func copy(_ node: Node, as name: String) throws -> Node {
        let target = "\(directory)/\(name)"
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: node.home.path, toPath: target)
        return try Node.open(home: NodeHome(explicit: target), passphrase: { "" })
    }
}
