/// Where a node listens: a host name or IP address and a TCP port, written `HOST:PORT` (an IPv6 address in
/// brackets: `[::1]:7850`).
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address, without brackets.
    public let host: String
    /// The TCP port.
    public let port: Int

    /// The port `serve` listens on when none is given.
    public static let defaultPort = 7850

    /// Makes an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads `HOST:PORT`, `HOST` (the default port) or `[IPV6]:PORT`.
    ///
    /// - Throws: ``SyncError`` `invalidAddress`, saying what form is expected.
    public init(parsing text: String, defaultPort: Int = PeerAddress.defaultPort) throws(SyncError) {
        let invalid = SyncError(.invalidAddress, "'\(text)' is not an address; write HOST:PORT, e.g. 192.168.1.20:\(PeerAddress.defaultPort)")
        var host = Substring(text)
        var portText: Substring? = nil
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw invalid }
                portText = rest.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            guard text.firstIndex(of: ":") == colon else { throw invalid }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, host.count <= 253, !host.contains(where: { $0.isWhitespace || $0 == "/" }) else { throw invalid }
        var port = defaultPort
        if let portText {
            guard let parsed = Int(portText), (0...65535).contains(parsed) else {
                throw SyncError(.invalidAddress, "'\(portText)' in '\(text)' is not a port; use a number from 1 to 65535")
            }
            port = parsed
        }
        self.init(host: String(host), port: port)
    }

    /// `HOST:PORT`, with an IPv6 address in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
