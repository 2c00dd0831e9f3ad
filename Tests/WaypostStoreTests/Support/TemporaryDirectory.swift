import Foundation

/// Runs `body` with a new, empty directory under `NSTemporaryDirectory()`, removed afterwards whatever
/// happens, so that every test works on its own files.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        .appendingPathComponent("waypost-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

extension URL {
    /// The path of a replica file named `name` in this directory.
    func replicaPath(_ name: String = "replica") -> String {
        appendingPathComponent(name + ".sqlite").path
    }
}
