public import Foundation
import Testing

/// The repository's `Protocol/` folder: the specifications and the test vectors in `vectors/`, which other
/// implementations check themselves against. Shared by every suite that checks a vector.
public enum ProtocolFiles {
    /// `Protocol/`, found from this file's path.
    public static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // WaypostTesting
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()  // the package
        .appendingPathComponent("Protocol")

    /// The text of a file in `Protocol/`, such as `bundle.md` or `vectors/node-id.txt`.
    public static func text(_ path: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
    }

    /// The bytes of a `.hex` vector: hex digit pairs, white space ignored, `#` comments to the end of a line.
    public static func hexFile(_ name: String) throws -> [UInt8] {
        let digits = try text("vectors/" + name).split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.prefix { $0 != "#" } }
            .joined()
            .filter { !$0.isWhitespace }
        return try hexBytes(String(digits))
    }

    /// The parameters a `.hex` vector gives in comment lines of the form `# NAME: VALUE`.
    public static func hexFileParameters(_ name: String) throws -> [String: String] {
        var parameters: [String: String] = [:]
        for line in try text("vectors/" + name).split(separator: "\n") where line.hasPrefix("# ") {
            let content = line.dropFirst(2)
            guard let colon = content.firstIndex(of: ":"), !content[..<colon].contains(" ") else { continue }
            parameters[String(content[..<colon])] = content[content.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
        return parameters
    }

    /// The values of a `NAME VALUE` vector file (`trust-chain.txt`, `certificate.txt`): one a line, the value
    /// running to the end of the line; blank lines and `#` comment lines skipped. A name given twice is an
    /// error in the file.
    public static func values(_ name: String) throws -> [String: String] {
        var values: [String: String] = [:]
        for line in try text("vectors/" + name).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.firstIndex(of: " ") else {
                let blank = line.allSatisfy { $0.isWhitespace }
                try #require(blank, "a vector line without a value: \(line)")
                continue
            }
            let key = String(line[..<space])
            try #require(values[key] == nil, "\(name) gives \(key) twice")
            values[key] = String(line[line.index(after: space)...])
        }
        return values
    }

    /// The bytes of the annotated listing in a Markdown file's code block marked `<!-- vector: NAME -->`:
    /// each line is an offset (or blank), the bytes as hex pairs in the columns 8 to 57, and what they mean.
    /// Every offset must be the count of the bytes before it.
    public static func listing(_ name: String, in document: String) throws -> [UInt8] {
        let lines = try text(document).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let found = lines.firstIndex(of: "<!-- vector: \(name) -->")
        let marker = try #require(found, "\(document) has no \(name) listing")
        try #require(lines[marker + 1].hasPrefix("```"))
        var bytes: [UInt8] = []
        for line in lines[(marker + 2)...] {
            if line.hasPrefix("```") { return bytes }
            let characters = Array(line)
            let offsetText = String(characters.prefix(8)).trimmingCharacters(in: .whitespaces)
            let cells = String(characters.dropFirst(8).prefix(50)).split(separator: " ")
            guard !cells.isEmpty, cells.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }) else { continue }
            if !offsetText.isEmpty {
                #expect(
                    Int(offsetText) == bytes.count,
                    "\(document), \(name): offset \(offsetText) should be \(bytes.count)")
            }
            bytes += cells.map { UInt8($0, radix: 16)! }
        }
        Issue.record("the \(name) listing in \(document) does not end")
        return bytes
    }

    /// The bytes that lower- or upper-case hex `digits` spell.
    public static func hexBytes(_ digits: String) throws -> [UInt8] {
        let characters = Array(digits)
        try #require(characters.count % 2 == 0, "an odd number of hex digits")
        return try stride(from: 0, to: characters.count, by: 2).map { index in
            try #require(
                UInt8(String(characters[index...index + 1]), radix: 16), "not hex: \(characters[index...index + 1])")
        }
    }

    /// Lower-case hex for `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0 >> 4, radix: 16) + String($0 & 0xF, radix: 16) }.joined()
    }
}
