import Foundation

/// The bytes a replica leaves on disk, for tests that look for what must not be there.
enum FileBytes {
    /// The bytes of a database file and of its `-wal` and `-shm` files, those that exist, one after another.
    static func database(at path: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            bytes += Array(try Data(contentsOf: URL(fileURLWithPath: path + suffix)))
        }
        return bytes
    }

    /// Whether `needle` occurs in `haystack`.
    static func contain(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// Whether `text`'s UTF-8 occurs in `haystack`.
    static func contain(_ haystack: [UInt8], _ text: String) -> Bool { contain(haystack, Array(text.utf8)) }
}
