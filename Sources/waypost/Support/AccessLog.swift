import ArgumentParser
import Foundation
import WaypostNode
import WaypostStore

/// The `--reason` option of every command that shows personal data.
struct ReasonOption: ParsableArguments {
    @Option(help: "Why you are looking (e.g. a referral, an oversight request); kept in the access log, see 'waypost audit access'.")
    var reason: String?
}

/// Records a look at personal data in the node's access log before anything is shown: if it cannot be
/// recorded (a full disk), nothing is shown.
enum AccessLog {
    /// Who runs this command: the operating-system user, who invoked sudo if anyone did, and the SSH
    /// client's address for a remote session.
    static var user: String {
        let environment = ProcessInfo.processInfo.environment
        var name = getpwuid(geteuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "uid \(geteuid())"
        if let invoker = environment["SUDO_USER"], !invoker.isEmpty, invoker != name { name += " (sudo by \(invoker))" }
        if let ssh = environment["SSH_CONNECTION"]?.split(separator: " ").first { name += " over SSH from \(ssh)" }
        return name
    }

    /// Records that `command` showed `records` (ids), or `scope` when they are not listed.
    static func record(_ node: Node, command: String, records: [String] = [], scope: String? = nil, reason: String?) throws {
        try Failure.report {
            try node.replica.recordAccess(user: user, command: command, records: records, scope: scope, reason: reason)
        }
    }
}
