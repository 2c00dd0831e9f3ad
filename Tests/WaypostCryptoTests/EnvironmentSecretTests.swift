import Foundation
import Testing

@testable import WaypostCrypto

/// A secret read from the environment leaves it: for this process, and for the processes it starts.
@Suite struct EnvironmentSecretTests {
    @Test("taking a variable returns its value and removes it, so a child process does not inherit it")
    func takingRemoves() throws {
        let name = "WAYPOST_TEST_SECRET_\(UUID().uuidString.prefix(8))"
        let value = "not for children \(UUID().uuidString)"
        setenv(name, value, 1)
        #expect(EnvironmentSecret.take(name) == value)
        #expect(getenv(name) == nil)
        #expect(ProcessInfo.processInfo.environment[name] == nil)
        #expect(EnvironmentSecret.take(name) == nil)

        // A child started the usual way (Foundation's Process, inheriting the environment).
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)
        #expect(!printed.isEmpty && !printed.contains(name) && !printed.contains(value))
    }

    @Test("an empty variable is taken too; an unset one is nil")
    func emptyAndUnset() {
        let name = "WAYPOST_TEST_EMPTY_\(UUID().uuidString.prefix(8))"
        #expect(EnvironmentSecret.take(name) == nil)
        setenv(name, "", 1)
        #expect(EnvironmentSecret.take(name) == "")
        #expect(getenv(name) == nil)
    }
}
