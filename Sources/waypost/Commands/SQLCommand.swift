import ArgumentParser
import Foundation
import WaypostCore
import WaypostNode
import WaypostStore

/// `waypost sql [STATEMENT] [--json]`.
struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Query the replica with read-only SQL, its values decrypted.",
        discussion: """
            The replica's values are encrypted at rest, so plain sqlite3 on its file shows none. This runs SQL \
            on a read-only connection that holds the node's keys: the views 'cases' and 'services' show one row \
            per record with a column per field, in plain. Tables and their columns are described in \
            Protocol/replica.md. Nothing can be written.
            With no STATEMENT, statements are read from standard input, each ending with ';' (a shell: \
            'waypost sql' on a terminal, or a file piped in).
            Examples:
              waypost sql "SELECT id, given_name, status FROM cases WHERE risk_level = 'high'"
              waypost sql --json "SELECT status, COUNT(*) AS n FROM cases GROUP BY status" | jq .
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: JSONOption
    @OptionGroup var access: ReasonOption
    @Argument(help: "One SQL statement; without it, statements are read from standard input.") var statement: String?

    func run() throws {
        let opened = try node.openUnlockedNode()
        if let statement {
            try show(try run(statement, on: opened))
            return
        }
        let interactive = isatty(STDIN_FILENO) == 1
        var pending = ""
        var failed = false
        while true {
            if interactive { FileHandle.standardError.write(Data((pending.isEmpty ? "sql> " : "...> ").utf8)) }
            guard let line = readLine() else { break }
            pending += (pending.isEmpty ? "" : "\n") + line
            guard pending.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(";") else { continue }
            let text = pending
            pending = ""
            do {
                try show(try run(text, on: opened))
            } catch {
                // Failure.report printed the message; a shell carries on, a script ends with the failure.
                failed = true
                if !interactive { throw error }
            }
        }
        if !pending.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            try show(try run(pending, on: opened))
        }
        if failed { throw ExitCode(4) }
    }

    /// Runs SQL and records the look in the access log (the ids of an `id` column if there is one; never
    /// the SQL, which may hold values) before anything is shown.
    private func run(_ sql: String, on opened: Node) throws -> [QueryResult] {
        let results = try Failure.report { try opened.replica.query(sql) }
        var records: [String] = []
        for result in results {
            guard let column = result.columns.firstIndex(of: "id") else { continue }
            for row in result.rows { if case .text(let id) = row[column], !records.contains(id) { records.append(id) } }
        }
        let rows = results.map(\.rows.count).reduce(0, +)
        try AccessLog.record(opened, command: "sql", records: records, scope: "\(rows) row\(rows == 1 ? "" : "s")", reason: access.reason)
        return results
    }

    private func show(_ results: [QueryResult]) throws {
        for result in results { try show(result) }
    }

    private func show(_ result: QueryResult) throws {
        if output.json {
            Output.json(
                .array(
                    result.rows.map { row in
                        .object(Dictionary(zip(result.columns, row.map(Self.json)), uniquingKeysWith: { first, _ in first }))
                    }))
            return
        }
        let cells = result.rows.map { $0.map(Self.text) }
        let widths = result.columns.indices.map { index in
            min(40, ([result.columns[index].count] + cells.map { $0[index].count }).max() ?? 0)
        }
        print(zip(result.columns, widths).map { Output.pad($0, $1 + 1) }.joined().trimmingTrailingSpaces)
        for row in cells {
            print(zip(row, widths).map { Output.pad($0, $1 + 1) }.joined().trimmingTrailingSpaces)
        }
        print("(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))")
    }

    static func json(_ value: QueryValue) -> JSONValue {
        switch value {
        case .null: .null
        case .integer(let number): .integer(number)
        case .real(let number): .number(String(number))
        case .text(let text): .string(text)
        case .blob(let bytes): .string(Data(bytes).base64EncodedString())
        }
    }

    static func text(_ value: QueryValue) -> String {
        switch value {
        case .null: "NULL"
        case .integer(let number): String(number)
        case .real(let number): String(number)
        case .text(let text): text.replacingOccurrences(of: "\n", with: " ")
        case .blob(let bytes): "x'" + bytes.prefix(8).map { String(format: "%02x", $0) }.joined() + (bytes.count > 8 ? "…'" : "'")
        }
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
