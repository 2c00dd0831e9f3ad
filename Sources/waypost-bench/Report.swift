import Foundation

/// Prints the benchmark's rows as a table for people or JSON for machines.
enum Report {
    static func seconds(_ measurement: Measurement) -> String {
        String(format: "median %.3f s (min %.3f, max %.3f)", measurement.median, measurement.minimum, measurement.maximum)
    }

    static func machine() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpu)"
    }

    static func table(_ rows: [Row], quick: Bool) -> String {
        var lines = ["Waypost benchmark\(quick ? " (--quick)" : "") on \(machine()), \(ISO8601DateFormatter().string(from: Date()))", ""]
        lines.append(
            pad("#", 3) + pad("what", 66) + pad("figure", 20) + pad("compared with", 22) + pad("ratio", 8) + pad("target", 10) + "result")
        for row in rows {
            lines.append(
                pad(String(row.number), 3) + pad(row.what, 66) + pad(row.figure, 20) + pad(row.ceiling, 22)
                    + pad(String(format: "%.2f", row.ratio), 8) + pad(row.target, 10) + (row.passes ? "PASS" : "FAIL"))
            if !row.detail.isEmpty { lines.append(pad("", 3) + "  " + row.detail) }
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ rows: [Row], quick: Bool) -> String {
        let objects: [[String: Any]] = rows.map {
            ["target": $0.number, "what": $0.what, "figure": $0.figure, "compared_with": $0.ceiling, "ratio": $0.ratio,
             "goal": $0.target, "pass": $0.passes, "detail": $0.detail]
        }
        let document: [String: Any] = ["machine": machine(), "quick": quick, "rows": objects]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
