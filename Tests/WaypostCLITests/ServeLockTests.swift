import Foundation
import Testing

/// One `serve` per home (issue 15, §4): a second one on the same home exits at once, naming the first.
@Suite struct ServeLockTests {
    @Test func secondServeOnTheSameHomeExitsNamingTheFirst() throws {
        let sandbox = try Sandbox()
        let (post, _) = try sandbox.pair()
        let first = try ServeProcess(post)
        let attempt = try post.startBackground(["serve", "--listen", "127.0.0.1:0"])
        try #require(eventually(within: 30) { !attempt.isRunning }, "a second serve started beside the first")
        let second = attempt.wait()
        expectFailure(
            second, exitCode: 1, mentioning: ["already running", "process \(first.processIdentifier)", post.home])
        #expect(first.isRunning, "the first serve goes on: \(first.log)")
    }

    @Test func theLockGoesWithTheProcessHoweverItEnds() throws {
        let sandbox = try Sandbox()
        let (post, _) = try sandbox.pair()
        let first = try ServeProcess(post)
        first.stop(SIGKILL)  // no chance to clean up: the kernel releases the lock
        let second = try ServeProcess(post)
        #expect(second.isRunning)
        let pid = try String(contentsOfFile: post.home + "/serve.lock", encoding: .utf8)
        #expect(pid.trimmingCharacters(in: .whitespacesAndNewlines) == "\(second.processIdentifier)")
    }

    @Test func serveOnAnotherHomeIsNotBlocked() throws {
        let sandbox = try Sandbox()
        let (post, clinic) = try sandbox.pair()
        let servers = [try ServeProcess(post), try ServeProcess(clinic)]
        #expect(servers.allSatisfy { $0.isRunning })
    }
}
