import Foundation

/// The repository's `Protocol/` folder and the test vectors in it, which other implementations check
/// themselves against.
enum ProtocolVectors {
    /// `Protocol/`, found from this file's path.
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // WaypostCryptoTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package
        .appendingPathComponent("Protocol")

    /// The text of a file in `Protocol/`, such as `keys.md` or `vectors/ed25519.txt`.
    static func text(_ path: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
    }

    /// The colon-separated fields of each vector line in `Protocol/vectors/<name>` (blank lines and `#`
    /// comments skipped; empty fields kept).
    static func records(_ name: String) throws -> [[String]] {
        try text("vectors/" + name)
            .split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
    }
}
