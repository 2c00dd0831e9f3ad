import WaypostCore
import WaypostTrust

/// Reads a bundle's frames, format version 2, from untrusted bytes (`Protocol/bundle.md`), once
/// ``SealedBundle`` has decrypted them.
///
/// The whole bundle is checked (magic, version, every frame's length and CRC-32C, the end frame's
/// counts, every index and length limit) before any change is returned; a bundle that fails any
/// check yields a ``BundleError`` and no changes. Schema validation of each change is the caller's
/// (``WaypostCore/Change/validate(against:)``).
public enum BundleReader {
    /// Decodes a bundle.
    ///
    /// - Throws: ``BundleError`` saying what is wrong and, for truncation, how far the file got.
    public static func decode(_ bytes: [UInt8]) throws(BundleError) -> Bundle {
        guard bytes.count >= Bundle.magic.count, Array(bytes[0..<Bundle.magic.count]) == Bundle.magic else {
            throw BundleError(.notABundle, "this file is not a Waypost bundle (it does not start with WAYPOSTB)")
        }
        var reader = ByteReader(bytes, range: Bundle.magic.count..<bytes.count)
        let version: UInt16
        do { version = try reader.readUInt16() } catch { throw truncated(bytes) }
        guard version == Bundle.formatVersion else {
            throw BundleError(
                .unsupportedVersion,
                "this bundle's frames use format version \(version); this node reads \(Bundle.formatVersion): update Waypost")
        }

        var header: (sender: NodeID, createdAt: UInt64, nodes: [NodeID], versions: VersionVector)?
        var batch = ChangeBatch()
        var certificates: [Certificate] = []
        var directives: [Directive] = []
        var lastSequences: [NodeID: UInt64] = [:]
        var frameCount = 0
        while true {
            let frameStart = reader.offset
            let type: UInt8
            let length: UInt32
            do {
                type = try reader.readByte()
                length = try reader.readUInt32()
            } catch { throw truncated(bytes) }
            guard Int(length) <= BundleLimits.framePayload else {
                throw BundleError(.malformed, "frame \(frameCount + 1) claims \(length) bytes, over the 16 MiB limit")
            }
            guard reader.remaining >= Int(length) + 4 else { throw truncated(bytes) }
            let payloadRange = reader.offset..<(reader.offset + Int(length))
            var checksumReader = ByteReader(bytes, range: payloadRange.upperBound..<(payloadRange.upperBound + 4))
            let stored = try! checksumReader.readUInt32()
            guard CRC32C.checksum(bytes, frameStart..<payloadRange.upperBound) == stored else {
                throw BundleError(
                    .corrupt, "the bundle is damaged: frame \(frameCount + 1) at byte \(frameStart) fails its checksum")
            }
            var payload = ByteReader(bytes, range: payloadRange)
            _ = try? reader.readBytes(Int(length) + 4)

            do {
                switch FrameType(rawValue: type) {
                case .header:
                    guard header == nil, frameCount == 0 else { throw malformed("a second header frame") }
                    header = try decodeHeader(&payload)
                case .changes:
                    guard let header else { throw malformed("changes before the header") }
                    try decodeRun(&payload, nodes: header.nodes, lastSequences: &lastSequences, into: &batch)
                case .certificate:
                    guard header != nil else { throw malformed("a certificate before the header") }
                    guard certificates.count < BundleLimits.certificates else { throw malformed("too many certificates") }
                    do {
                        certificates.append(try Certificate(decoding: try payload.readBytes(payload.remaining)))
                    } catch let error as TrustError {
                        throw BundleError(.corrupt, "the bundle carries a bad certificate: \(error.message)")
                    }
                case .directive:
                    guard header != nil else { throw malformed("a directive before the header") }
                    guard directives.count < BundleLimits.directives else { throw malformed("too many directives") }
                    do {
                        directives.append(try Directive(decoding: try payload.readBytes(payload.remaining)))
                    } catch let error as TrustError {
                        throw BundleError(.corrupt, "the bundle carries a bad directive: \(error.message)")
                    }
                case .end:
                    guard let header else { throw malformed("an end frame before the header") }
                    let frames = try payload.readVarint()
                    let count = try payload.readVarint()
                    guard frames == UInt64(frameCount), count == UInt64(batch.changes.count) else {
                        throw malformed(
                            "the end frame counts \(frames) frames and \(count) changes; found \(frameCount) and \(batch.changes.count)")
                    }
                    guard payload.isAtEnd else { throw malformed("extra bytes in the end frame") }
                    guard reader.isAtEnd else { throw malformed("bytes after the end frame") }
                    return Bundle(
                        sender: header.sender, createdAt: header.createdAt, senderVersions: header.versions,
                        batch: batch, certificates: certificates, directives: directives)
                case nil:
                    throw malformed("unknown frame type \(type)")
                }
                guard payload.isAtEnd else { throw malformed("extra bytes in frame \(frameCount + 1)") }
            } catch let failure as ByteReader.Failure {
                throw malformed("frame \(frameCount + 1) is inconsistent (\(failure))")
            } catch let error as BundleError {
                throw error
            } catch {
                throw malformed("\(error)")
            }
            frameCount += 1
        }
    }

    private static func decodeHeader(_ payload: inout ByteReader) throws -> (NodeID, UInt64, [NodeID], VersionVector) {
        let sender = NodeID(bytes: try payload.readBytes(NodeID.byteCount))
        let createdAt = try payload.readUInt64()
        let nodeCount = try payload.readVarint()
        guard nodeCount <= UInt64(BundleLimits.nodes), nodeCount * 32 <= UInt64(payload.remaining) else {
            throw malformed("the node table claims \(nodeCount) nodes")
        }
        var nodes: [NodeID] = []
        for _ in 0..<nodeCount { nodes.append(NodeID(bytes: try payload.readBytes(NodeID.byteCount))) }
        guard Set(nodes).count == nodes.count else { throw malformed("the node table repeats a node") }
        let versionCount = try payload.readVarint()
        guard versionCount <= nodeCount else { throw malformed("the version vector has more entries than nodes") }
        var entries: [NodeID: UInt64] = [:]
        for _ in 0..<versionCount {
            let origin = try node(try payload.readVarint(), in: nodes)
            guard entries[origin] == nil else { throw malformed("the version vector repeats a node") }
            let sequence = try payload.readVarint()
            guard sequence >= 1 else { throw malformed("a version vector entry with sequence 0") }
            entries[origin] = sequence
        }
        let versions: VersionVector
        do { versions = try VersionVector(checking: entries) } catch { throw malformed(error.message) }
        return (sender, createdAt, nodes, versions)
    }

    private static func decodeRun(
        _ payload: inout ByteReader, nodes: [NodeID], lastSequences: inout [NodeID: UInt64], into batch: inout ChangeBatch
    ) throws {
        let origin = try node(try payload.readVarint(), in: nodes)
        let first = try payload.readVarint()
        let count = try payload.readVarint()
        // The run's last sequence number, first + count - 1, is at most 2^63 - 1 (bundle.md §2, "Numbers").
        guard first >= 1, count >= 1, count <= UInt64(payload.remaining), first <= Dot.maximumSequence - (count - 1)
        else {
            throw malformed(
                "a run of changes has sequence \(first) and count \(count) (sequence numbers run from 1 to 2^63 - 1)")
        }
        // Each origin's changes in ascending sequence order, as `Bundle.changes` promises.
        if let last = lastSequences[origin], first <= last {
            throw malformed("a run of changes starts at sequence \(first) after one that reached \(last)")
        }
        lastSequences[origin] = first + (count - 1)
        var timestamp: UInt64 = 0
        var record: (RecordCollection, RecordID)? = nil
        var fields: [String] = []
        for index in 0..<count {
            let flags = try payload.readByte()
            guard flags & ~ChangeFlags.known == 0 else { throw malformed("unknown change flags \(flags)") }
            timestamp = timestamp &+ UInt64(bitPattern: try payload.readZigzag())
            if flags & ChangeFlags.sameRecord == 0 {
                let collectionCode = try payload.readByte()
                guard let collection = RecordCollection(rawValue: collectionCode) else {
                    throw malformed("unknown collection \(collectionCode)")
                }
                record = (collection, RecordID(bytes: try payload.readBytes(10))!)
            }
            guard let (collection, recordID) = record else { throw malformed("a frame's first change repeats a record") }
            let field: String
            if flags & ChangeFlags.fieldReference != 0 {
                let index = try payload.readVarint()
                guard index < UInt64(fields.count) else { throw malformed("field reference \(index) outside the table") }
                field = fields[Int(index)]
            } else {
                field = try payload.readString(limit: BundleLimits.string)
                if fields.count < BundleLimits.fieldsPerFrame { fields.append(field) }
            }
            let opCode = flags & 0x07
            let dot = Dot(origin: origin, sequence: first + index)
            let erased = flags & ChangeFlags.erased != 0
            // An erased change carries its value's 32-byte digest in place of the value.
            func text() throws -> String {
                guard erased else { return try payload.readString(limit: BundleLimits.string) }
                batch.erasedDigests[dot] = try payload.readBytes(32)
                return ""
            }
            let operation: WaypostCore.Operation
            switch OperationCode(rawValue: opCode) {
            case .assign:
                let value = try text()
                operation = .assign(value: value, supersedes: try readDots(&payload, nodes: nodes))
            case .insert:
                operation = .insert(element: try text())
            case .remove:
                let element = try text()
                operation = .remove(element: element, supersedes: try readDots(&payload, nodes: nodes))
            case .increment:
                if erased {
                    _ = try text()
                    operation = .increment(by: 0)
                } else {
                    operation = .increment(by: try payload.readZigzag())
                }
            case .append:
                operation = .append(entry: try text())
            case nil:
                throw malformed("unknown operation \(opCode)")
            }
            if flags & ChangeFlags.recordKey != 0 { batch.recordKeys[dot] = try payload.readBytes(32) }
            if flags & ChangeFlags.signature != 0 { batch.signatures[dot] = try payload.readBytes(64) }
            batch.changes.append(
                Change(
                    dot: dot, timestamp: HybridTimestamp(rawValue: timestamp), collection: collection, record: recordID,
                    field: field, operation: operation))
        }
    }

    private static func readDots(_ payload: inout ByteReader, nodes: [NodeID]) throws -> [Dot] {
        let count = try payload.readVarint()
        guard count <= UInt64(BundleLimits.supersedes) else { throw malformed("a change supersedes \(count) values") }
        var dots: [Dot] = []
        for _ in 0..<count {
            let origin = try node(try payload.readVarint(), in: nodes)
            let sequence = try payload.readVarint()
            do { try Dot.check(sequence: sequence, of: "a superseded dot") } catch { throw malformed(error.message) }
            dots.append(Dot(origin: origin, sequence: sequence))
        }
        return dots
    }

    private static func node(_ index: UInt64, in nodes: [NodeID]) throws -> NodeID {
        guard index < UInt64(nodes.count) else { throw malformed("node index \(index) outside the node table") }
        return nodes[Int(index)]
    }

    private static func malformed(_ detail: String) -> BundleError {
        BundleError(.malformed, "the bundle is malformed: \(detail)")
    }

    private static func truncated(_ bytes: [UInt8]) -> BundleError {
        BundleError(.truncated, "the bundle is incomplete (\(bytes.count) bytes): it was cut short while copying; copy it again")
    }
}
