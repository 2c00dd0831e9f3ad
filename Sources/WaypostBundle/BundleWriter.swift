public import WaypostCore
import WaypostTrust

/// Writes a bundle's frames, format version 2 (`Protocol/bundle.md`); ``SealedBundle`` encrypts them.
public enum BundleWriter {
    /// The bytes of `bundle`.
    ///
    /// - Precondition: each origin's changes appear in ascending sequence order.
    public static func encode(_ bundle: Bundle) -> [UInt8] {
        var nodeTable = NodeTable()
        nodeTable.index(of: bundle.sender)
        for origin in bundle.senderVersions.origins { nodeTable.index(of: origin) }
        for change in bundle.changes {
            nodeTable.index(of: change.dot.origin)
            for dot in change.operation.supersedes { nodeTable.index(of: dot.origin) }
        }

        var output = ByteWriter(capacity: 64 + bundle.changes.count * 48)
        output.write(bytes: Bundle.magic)
        output.write(bigEndian: Bundle.formatVersion)

        var header = ByteWriter()
        header.write(bytes: bundle.sender.bytes)
        header.write(bigEndian: bundle.createdAt)
        header.write(varint: UInt64(nodeTable.nodes.count))
        for node in nodeTable.nodes { header.write(bytes: node.bytes) }
        let origins = bundle.senderVersions.origins
        header.write(varint: UInt64(origins.count))
        for origin in origins {
            header.write(varint: UInt64(nodeTable.index(of: origin)))
            header.write(varint: bundle.senderVersions[origin])
        }
        var frameCount = 0
        appendFrame(.header, header.bytes, to: &output)
        frameCount += 1

        // The certificates right after the header, so a receiver knows who is enrolled before the changes.
        for certificate in bundle.certificates {
            appendFrame(.certificate, certificate.bytes, to: &output)
            frameCount += 1
        }
        // Then the directives, so a receiver knows who is revoked before it judges the changes.
        for directive in bundle.directives {
            appendFrame(.directive, directive.bytes, to: &output)
            frameCount += 1
        }

        // Runs of consecutive changes of one origin, at most `changesPerFrame` each and small enough
        // that the frame stays within the reader's `framePayload` limit.
        var start = 0
        let changes = bundle.changes
        while start < changes.count {
            var end = start + 1
            var size = 30 + encodedSizeBound(changes[start])
            while end < changes.count, end - start < BundleLimits.changesPerFrame,
                changes[end].dot.origin == changes[start].dot.origin,
                changes[end].dot.sequence == changes[end - 1].dot.sequence + 1,
                size + encodedSizeBound(changes[end]) <= BundleLimits.framePayload
            {
                size += encodedSizeBound(changes[end])
                end += 1
            }
            appendFrame(.changes, encodeRun(changes[start..<end], batch: bundle.batch, nodeTable: &nodeTable), to: &output)
            frameCount += 1
            start = end
        }

        var trailer = ByteWriter()
        trailer.write(varint: UInt64(frameCount))
        trailer.write(varint: UInt64(changes.count))
        appendFrame(.end, trailer.bytes, to: &output)
        return output.bytes
    }

    private static func encodeRun(_ run: ArraySlice<Change>, batch: ChangeBatch, nodeTable: inout NodeTable) -> [UInt8] {
        var payload = ByteWriter(capacity: run.count * 48)
        payload.write(varint: UInt64(nodeTable.index(of: run.first!.dot.origin)))
        payload.write(varint: run.first!.dot.sequence)
        payload.write(varint: UInt64(run.count))
        var previousTimestamp: UInt64 = 0
        var previousRecord: (RecordCollection, RecordID)? = nil
        var fields: [String: Int] = [:]
        for change in run {
            let recordKey = batch.recordKeys[change.dot]
            let signature = batch.signatures[change.dot]
            let digest = batch.erasedDigests[change.dot]
            var flags = OperationCode(change.operation).rawValue
            if digest != nil { flags |= ChangeFlags.erased }
            let sameRecord = previousRecord.map { $0.0 == change.collection && $0.1 == change.record } ?? false
            if sameRecord { flags |= ChangeFlags.sameRecord }
            if recordKey != nil { flags |= ChangeFlags.recordKey }
            if signature != nil { flags |= ChangeFlags.signature }
            let fieldIndex = fields[change.field]
            if fieldIndex != nil { flags |= ChangeFlags.fieldReference }
            payload.write(flags)
            payload.write(zigzag: Int64(bitPattern: change.timestamp.rawValue &- previousTimestamp))
            previousTimestamp = change.timestamp.rawValue
            if !sameRecord {
                payload.write(change.collection.rawValue)
                payload.write(bytes: change.record.bytes)
                previousRecord = (change.collection, change.record)
            }
            if let fieldIndex {
                payload.write(varint: UInt64(fieldIndex))
            } else {
                payload.write(string: change.field)
                if fields.count < BundleLimits.fieldsPerFrame { fields[change.field] = fields.count }
            }
            switch change.operation {
            case .assign(let value, let supersedes):
                if let digest { payload.write(bytes: digest) } else { payload.write(string: value) }
                writeDots(supersedes, to: &payload, nodeTable: &nodeTable)
            case .insert(let element):
                if let digest { payload.write(bytes: digest) } else { payload.write(string: element) }
            case .remove(let element, let supersedes):
                if let digest { payload.write(bytes: digest) } else { payload.write(string: element) }
                writeDots(supersedes, to: &payload, nodeTable: &nodeTable)
            case .increment(let amount):
                if let digest { payload.write(bytes: digest) } else { payload.write(zigzag: amount) }
            case .append(let entry):
                if let digest { payload.write(bytes: digest) } else { payload.write(string: entry) }
            }
            if let recordKey { payload.write(bytes: recordKey) }
            if let signature { payload.write(bytes: signature) }
        }
        return payload.bytes
    }

    /// An upper bound on a change's encoded size, record key and signature included.
    /// An upper bound on the bytes `change` takes in a changes frame, record key and signature included:
    /// what a sender sizes a batch by.
    public static func encodedSizeBound(_ change: Change) -> Int {
        let operation: Int
        switch change.operation {
        case .assign(let value, let supersedes): operation = 20 + value.utf8.count + 20 * supersedes.count
        case .remove(let element, let supersedes): operation = 20 + element.utf8.count + 20 * supersedes.count
        case .insert(let text), .append(let text): operation = 10 + text.utf8.count
        case .increment: operation = 10
        }
        return 10 + 1 + 10 + 10 + change.field.utf8.count + 1 + operation + 32 + 64
    }

    private static func writeDots(_ dots: [Dot], to payload: inout ByteWriter, nodeTable: inout NodeTable) {
        payload.write(varint: UInt64(dots.count))
        for dot in dots {
            payload.write(varint: UInt64(nodeTable.index(of: dot.origin)))
            payload.write(varint: dot.sequence)
        }
    }

    private static func appendFrame(_ type: FrameType, _ payload: [UInt8], to output: inout ByteWriter) {
        let start = output.bytes.count
        output.write(type.rawValue)
        output.write(bigEndian: UInt32(payload.count))
        output.write(bytes: payload)
        output.write(bigEndian: CRC32C.checksum(output.bytes, start..<output.bytes.count))
    }
}

/// The bundle's table of node ids, so that each change names its origin by a small index.
struct NodeTable {
    private(set) var nodes: [NodeID] = []
    private var indexes: [NodeID: Int] = [:]

    @discardableResult
    mutating func index(of node: NodeID) -> Int {
        if let index = indexes[node] { return index }
        indexes[node] = nodes.count
        nodes.append(node)
        return nodes.count - 1
    }
}
