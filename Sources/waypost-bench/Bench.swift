import Foundation
import WaypostBundle
import WaypostCore
import WaypostCrypto
import WaypostNode
import WaypostStore
import WaypostTrust
import WaypostNet
import WaypostSync
import Logging

/// `Scripts/bench`: Waypost against the ceiling of its own storage engine, measured in one run.
/// Every target is a ratio against a figure from the same run, or a bound on memory (issue #5).
@main
struct Bench {
    static func main() {
        let arguments = CommandLine.arguments
        let quick = arguments.contains("--quick")
        let json = arguments.contains("--json")
        do {
            if let index = arguments.firstIndex(of: "--profile"), index + 1 < arguments.count {
                try profile(Array(arguments[(index + 1)...]))
                return
            }
            let rows = try run(quick: quick)
            print(json ? Report.json(rows, quick: quick) : Report.table(rows, quick: quick))
        } catch {
            FileHandle.standardError.write(Data("bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func log(_ text: String) {
        FileHandle.standardError.write(Data("bench: \(text)\n".utf8))
    }

    static func run(quick: Bool) throws -> [Row] {
        let cases = quick ? 10_000 : 100_000
        let fields = 10
        let changes = Double(cases * fields)
        let runs = 3
        var bench = try Workbench()
        defer { bench.remove() }
        var rows: [Row] = []

        // The ceiling: a plain SQLite UPSERT of the same rows, measured before each run of the figures it
        // is compared with (targets 1, 2 and 3).
        let directory = bench.directory
        let upsert: (Int) throws -> Double = { _ in
            try Ceiling.upsert(entities: cases, fields: fields, valueLength: 24, directory: directory)
        }

        // 3. Local writes through the library API, 1,000 cases per transaction.
        log("3: creating \(cases) cases through the library, \(runs) runs, each after a ceiling run")
        var source: (Node, SigningKeyPair, [RecordID])?
        let (local, ceiling) = try Measurement.interleaved(runs: runs, reference: upsert) { _ in
            let (node, keys) = try bench.node("writer")
            let ids = try Workbench.createCases(cases, on: node, keys: keys)
            source = (node, keys, ids)
        }
        let (a, aKeys, ids) = source!
        rows.append(
            Row(
                number: 3, what: "local writes: \(cases) ten-field cases", figure: Report.seconds(local),
                ceiling: String(format: "%.2f s plain SQLite", ceiling.median), ratio: local.median / ceiling.median,
                target: "<= 3.0x", passes: local.median / ceiling.median <= 3, detail: ""))

        // 1. Import of a bundle with every field change into an empty replica.
        let bundlePath = bench.directory + "/all.wpb"
        let (b0, b0Keys) = try bench.node("receiver")
        try Workbench.pair(a, b0)
        _ = try a.exportBundle(for: ["peer-\(b0.id.short)"], all: true, to: bundlePath, keys: aKeys)
        let empty = try bench.copy(b0, as: "receiver-empty")
        log("1: importing \(cases * fields) changes into an empty replica, \(runs) runs, each after a ceiling run")
        var imported: Node?
        var targets: [Node] = [b0]
        for run in 1..<runs { targets.append(try bench.copy(empty, as: "receiver-\(run)")) }
        let (importing, importCeiling) = try Measurement.interleaved(runs: runs, reference: upsert) { run in
            _ = try targets[run].importBundle(from: bundlePath, keys: b0Keys)
            imported = targets[run]
        }
        let importRate = changes / importing.median
        let ceilingRate = changes / importCeiling.median
        rows.append(
            Row(
                number: 1, what: "merge \(cases * fields) field changes into an empty replica",
                figure: String(format: "%.0f changes/s", importRate), ceiling: String(format: "%.0f rows/s", ceilingRate),
                ratio: importRate / ceilingRate, target: ">= 0.5x", passes: importRate / ceilingRate >= 0.5,
                detail: Report.seconds(importing)))

        // 8. What padding values at rest costs (`Protocol/replica.md` §9.5): the imported replica's sealed
        // values and record documents as stored, against the same unpadded, and its file with and without.
        let cost = try imported!.replica.paddingCost()
        let fileBytes = try Workbench.databaseBytes(imported!)
        let perCase = Double(cost.values + cost.documents) / Double(cases)
        let unpaddedPerCase = Double(cost.unpaddedValues + cost.unpaddedDocuments) / Double(cases)
        rows.append(
            Row(
                number: 8, what: "sealed bytes per case at rest with padding (values and record documents)",
                figure: String(format: "%.0f B", perCase), ceiling: String(format: "%.0f B unpadded", unpaddedPerCase),
                ratio: perCase / unpaddedPerCase, target: "<= 2.0x", passes: perCase <= 2 * unpaddedPerCase,
                detail: String(
                    format: "values %.0f B (%.0f unpadded), documents %.0f B (%.0f); database %.1f MB, about %.1f MB without padding",
                    Double(cost.values) / Double(cases), Double(cost.unpaddedValues) / Double(cases),
                    Double(cost.documents) / Double(cases), Double(cost.unpaddedDocuments) / Double(cases),
                    Double(fileBytes) / 1e6, Double(fileBytes - cost.added) / 1e6)))

        // 7. The crypto share of target 1: decrypting the bundle, recomputing and verifying the chains and
        // signatures, and sealing every value at rest (a record key per record, as the import does).
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: bundlePath)))
        var frames: [UInt8] = []
        let decrypting = try Measurement.seconds(runs: runs) { _ in frames = try SealedBundle.open(bytes, with: b0Keys).frames }
        let bundle = try BundleReader.decode(frames)
        let verifying = Measurement.seconds(runs: runs) { _ in Bench.verifyChains(bundle.batch) }
        let sealing = Measurement.seconds(runs: runs) { _ in Bench.sealValues(bundle.batch) }
        let cryptoShare = (decrypting.median + verifying.median + sealing.median) / importing.median
        rows.append(
            Row(
                number: 7, what: "crypto share of target 1 (decrypt, chains and signatures, sealing at rest)",
                figure: String(format: "%.3f + %.3f + %.3f s", decrypting.median, verifying.median, sealing.median),
                ceiling: String(format: "%.2f s import", importing.median), ratio: cryptoShare, target: "<= 0.10",
                passes: cryptoShare <= 0.10,
                detail: String(
                    format: "without sealing at rest: %.2f",
                    (decrypting.median + verifying.median) / importing.median)))

        // 5. Initial sync over loopback TCP: 'waypost sync' in a separate process pulls everything from a
        // 'waypost serve' of the source; its peak RSS and its time against target 1's import.
        log("5: initial sync over loopback TCP, receiver in a separate process")
        let server = try ServeChild(home: a.home.path)
        let fresh = try bench.copy(empty, as: "receiver-process")
        let child = try ChildProcess.run(ChildProcess.waypostBinary(), ["sync", "--home", fresh.home.path, server.address])
        server.stop()
        let received = try fresh.replica.statistics().changes
        precondition(received >= cases * fields, "the initial sync brought \(received) changes")
        let megabytes = Double(child.maximumResidentKilobytes) / 1024
        rows.append(
            Row(
                number: 5, what: "initial sync of \(cases) cases over loopback TCP: receiver's peak RSS",
                figure: String(format: "%.0f MB", megabytes), ceiling: "150 MB", ratio: megabytes / 150, target: "<= 1.0",
                passes: megabytes <= 150, detail: ""))
        rows.append(
            Row(
                number: 5, what: "initial sync time vs target 1's import",
                figure: String(format: "%.2f s", child.seconds), ceiling: String(format: "%.2f s", importing.median),
                ratio: child.seconds / importing.median, target: "<= 2.0x", passes: child.seconds / importing.median <= 2,
                detail: "'waypost sync' process, start and key loading included"))

        // 2. The same merge into a replica that holds the cases, half their fields edited concurrently.
        log("2: preparing concurrent edits")
        let full = imported!
        try Workbench.edit(ids, fields: ["given_name", "family_name"], salt: "b",
                           on: full, keys: b0Keys)
        let allFields = ["given_name", "family_name", "owner", "location"]
        try Workbench.edit(ids, fields: allFields, salt: "a", on: a, keys: aKeys)
        let editsPath = bench.directory + "/edits.wpb"
        try a.replica.recordSeen(by: full.id, try full.replica.versions())
        _ = try a.exportBundle(for: ["peer-\(full.id.short)"], all: false, to: editsPath, keys: aKeys)
        let editedChanges = Double(ids.count * allFields.count)
        log("2: importing \(Int(editedChanges)) concurrent changes into a full replica, \(runs) runs, each after a ceiling run")
        let fulls = try (0..<runs).map { run in try bench.copy(full, as: "full-\(run)") }
        let (concurrent, concurrentCeiling) = try Measurement.interleaved(runs: runs, reference: upsert) { run in
            _ = try fulls[run].importBundle(from: editsPath, keys: b0Keys)
        }
        let concurrentRate = editedChanges / concurrent.median
        let concurrentCeilingRate = changes / concurrentCeiling.median
        rows.append(
            Row(
                number: 2, what: "merge \(Int(editedChanges)) changes into a full replica, half conflicting",
                figure: String(format: "%.0f changes/s", concurrentRate),
                ceiling: String(format: "%.0f rows/s", concurrentCeilingRate), ratio: concurrentRate / concurrentCeilingRate,
                target: ">= 0.4x", passes: concurrentRate / concurrentCeilingRate >= 0.4,
                detail: Report.seconds(concurrent)))

        // 4 and 6. A small delta end to end, with a small and a large replica underneath.
        let small = quick ? 1_000 : 10_000
        let large = quick ? 10_000 : 1_000_000
        var deltas: [Measurement] = []
        var wireBytes = 0
        for background in [small, large] {
            log("4: 1,000-field deltas over \(background) records")
            let (x, xKeys) = try bench.node("delta-a")
            let (y, yKeys) = try bench.node("delta-b")
            try Workbench.pair(x, y)
            let schema = x.replica.schema[.caseFile]
            var start = 0
            while start < background {
                let end = min(background, start + 5000)
                _ = try x.replica.createMany(
                    .caseFile, records: try (start..<end).map { [try Edit(parsing: "given_name=\(Workbench.text($0, "n"))", in: schema)] },
                    signer: xKeys)
                start = end
            }
            let seed = bench.directory + "/seed-\(background).wpb"
            _ = try x.exportBundle(for: ["peer-\(y.id.short)"], all: true, to: seed, keys: xKeys)
            _ = try y.importBundle(from: seed, keys: yKeys)
            let targets = try Workbench.createCases(250, on: x, keys: xKeys)
            _ = try x.exportBundle(for: ["peer-\(y.id.short)"], all: true, to: seed, keys: xKeys)
            _ = try y.importBundle(from: seed, keys: yKeys)
            // The peer runs 'waypost serve' in its own process; this process syncs to it over loopback TCP.
            let peer = try ServeChild(home: y.home.path)
            defer { peer.stop() }
            let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
            var samples: [Double] = []
            for run in 0..<9 {
                try Workbench.edit(targets, fields: allFields, salt: "d\(run)", on: x, keys: xKeys)
                let replica = x.replica, address = try PeerAddress(parsing: peer.address), expected = y.id
                let start = DispatchTime.now().uptimeNanoseconds
                let progress = try blocking {
                    try await SyncClient.sync(replica: replica, keys: xKeys, address: address, expected: expected, logger: logger)
                }
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                precondition(progress.sent == 1000 && progress.applied == 0, "the delta sent \(progress.sent) changes")
                wireBytes = progress.bytesSent + progress.bytesReceived
            }
            _ = yKeys
            let measured = Measurement(samples: samples)
            deltas.append(measured)
        }
        rows.append(
            Row(
                number: 4, what: "1,000-field delta over loopback TCP, \(small) records (sync, verify, merge, ack)",
                figure: String(format: "%.1f ms", deltas[0].median * 1000), ceiling: "50 ms", ratio: deltas[0].median / 0.050,
                target: "<= 1.0", passes: deltas[0].median <= 0.050, detail: Report.seconds(deltas[0])))
        rows.append(
            Row(
                number: 4, what: "the same over \(large) records vs \(small)",
                figure: String(format: "%.1f ms", deltas[1].median * 1000), ceiling: String(format: "%.1f ms", deltas[0].median * 1000),
                ratio: deltas[1].median / deltas[0].median, target: "<= 1.5x", passes: deltas[1].median / deltas[0].median <= 1.5,
                detail: Report.seconds(deltas[1])))
        let perField = Double(wireBytes) / 1000
        rows.append(
            Row(
                number: 6, what: "bytes per changed field on the wire (1,000 fields, 32-character values)",
                figure: String(format: "%.1f B", perField), ceiling: "64 B", ratio: perField / 64, target: "<= 1.0",
                passes: perField <= 64, detail: "\(wireBytes) bytes both ways: handshake, versions, batch, acks"))
        return rows.sorted { $0.number < $1.number }
    }

    /// One workload alone, once, for a profiler (`valgrind --tool=callgrind`, `perf record`):
    /// - `local`: creates 10,000 cases through the library; `ceiling`: the ceiling's 100,000 upserts;
    /// - `prepare DIR [CASES]`: writes, in DIR, a bundle of 10,000 cases (or CASES) (`all.wpb`), an empty receiver that
    ///   trusts its writer (`empty`), the same receiver holding them (`full`), and a bundle of 1,000
    ///   changes to 250 of them (`delta.wpb`);
    /// - `import DIR` and `delta DIR`: import those bundles into a copy of `empty` or `full`.
    static func profile(_ arguments: [String]) throws {
        let workload = arguments.first ?? ""
        func timed(_ what: String, _ body: () throws -> Void) rethrows {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            log(String(format: "\(what): %.3f s", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        }
        if workload == "local" {
            var bench = try Workbench()
            defer { bench.remove() }
            let (a, aKeys) = try bench.node("writer")
            try timed("local") { _ = try Workbench.createCases(10_000, on: a, keys: aKeys) }
            return
        }
        if workload == "ceiling" {
            let bench = try Workbench()
            defer { bench.remove() }
            let seconds = try Ceiling.upsert(entities: 10_000, fields: 10, valueLength: 24, directory: bench.directory)
            log(String(format: "ceiling: %.3f s", seconds))
            return
        }
        guard arguments.count == 2 || (workload == "prepare" && arguments.count == 3) else {
            throw BenchError("usage: waypost-bench --profile local | ceiling | prepare DIR [CASES] | import DIR | delta DIR")
        }
        let directory = arguments[1]
        let bench = Workbench(directory: directory)
        if workload == "prepare" {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let a = try Node.initialize(home: NodeHome(explicit: directory + "/writer"), name: "writer", passphrase: nil)
            let b = try Node.initialize(home: NodeHome(explicit: directory + "/empty"), name: "receiver", passphrase: nil)
            let (aKeys, bKeys) = (try a.signingKeys { "" }, try b.signingKeys { "" })
            try Workbench.pair(a, b)
            let ids = try Workbench.createCases(arguments.count == 3 ? Int(arguments[2]) ?? 10_000 : 10_000, on: a, keys: aKeys)
            _ = try a.exportBundle(for: ["peer-\(b.id.short)"], all: true, to: directory + "/all.wpb", keys: aKeys)
            let full = try bench.copy(b, as: "full")
            _ = try full.importBundle(from: directory + "/all.wpb", keys: bKeys)
            try a.replica.recordSeen(by: full.id, try full.replica.versions())
            try Workbench.edit(
                Array(ids.prefix(250)), fields: ["given_name", "family_name", "owner", "location"], salt: "d", on: a, keys: aKeys)
            _ = try a.exportBundle(for: ["peer-\(b.id.short)"], all: false, to: directory + "/delta.wpb", keys: aKeys)
            return
        }
        let (source, bundle) = workload == "delta" ? ("full", "delta.wpb") : ("empty", "all.wpb")
        let node = try bench.copy(Node.open(home: NodeHome(explicit: directory + "/" + source)), as: "run")
        let keys = try node.signingKeys { "" }
        try timed(workload) { _ = try node.importBundle(from: directory + "/" + bundle, keys: keys) }
    }

    /// Recomputes every origin's chain over a batch and verifies its signatures, as an import does: each
    /// origin's changes in a run, the last record's key at hand.
    static func verifyChains(_ batch: ChangeBatch) {
        var head = ChangeChain.genesis
        var origin: NodeID?
        var keys: [RecordID: [UInt8]] = [:]
        var last: (record: RecordID, key: [UInt8])?
        for change in batch.changes {
            if change.dot.origin != origin {
                origin = change.dot.origin
                head = ChangeChain.genesis
                keys = [:]
                last = nil
            }
            let carried = batch.recordKeys[change.dot]
            let key: [UInt8]
            if let carried {
                key = carried
                keys[change.record] = carried
            } else if let last, last.record == change.record {
                key = last.key
            } else {
                key = keys[change.record] ?? ChangeChain.genesis
            }
            last = (change.record, key)
            head = ChangeChain.head(after: head, leaf: ChangeChain.leaf(of: change, recordKey: key, introducesKey: carried != nil))
            if let signature = batch.signatures[change.dot] {
                precondition(ChangeChain.isValid(signature, at: change.dot, head: head), "a signature does not verify")
            }
        }
    }

    /// Seals every value of a batch as the replica stores it (`Protocol/replica.md` §9.2): padded to its
    /// bucket (§9.5), under a key per record, with a nonce from its dot and its timestamp and field as
    /// associated data.
    static func sealValues(_ batch: ChangeBatch) {
        var record: RecordID?
        var key = StorageKey.random()
        var sequence: UInt64 = 0
        for change in batch.changes {
            if change.record != record {
                record = change.record
                key = StorageKey.random()
            }
            sequence += 1
            var nonce = [UInt8](repeating: 0, count: ValueCipher.nonceByteCount)
            nonce[0] = 1
            withUnsafeBytes(of: sequence.littleEndian) { nonce.replaceSubrange(16..<24, with: $0) }
            let associatedData = withUnsafeBytes(of: change.timestamp.rawValue.littleEndian) { Array($0) } + Array(change.field.utf8)
            var value = change.operation.argument
            let padded = value.withUTF8 { Padding.padded(UnsafeRawBufferPointer($0), after: 0xFF) }
            let sealed = padded.withUnsafeBytes { plain in
                nonce.withUnsafeBytes { nonce in
                    associatedData.withUnsafeBytes { ValueCipher.seal(plain, key: key, nonce: nonce, associatedData: $0) }
                }
            }
            precondition(
                sealed.count == Padding.bucket(for: utf8Count(change.operation.argument) + 1) + ValueCipher.tagByteCount)
        }
    }

    private static func utf8Count(_ text: String) -> Int { text.utf8.count }
}
