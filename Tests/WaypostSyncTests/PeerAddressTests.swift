import Testing
import WaypostSync

/// Reading `HOST:PORT` as people type it after `waypost sync` and `waypost peer address`.
@Suite struct PeerAddressTests {
    static func parse(_ text: String) -> PeerAddress? { try? PeerAddress(parsing: text) }

    static func code(_ text: String) -> SyncError.Code? {
        Nodes.code { () throws(SyncError) in try PeerAddress(parsing: text) }
    }

    @Test func aHostAndAPort() throws {
        #expect(Self.parse("192.168.1.20:7851") == PeerAddress(host: "192.168.1.20", port: 7851))
        #expect(Self.parse("clinic-7.local:80") == PeerAddress(host: "clinic-7.local", port: 80))
        #expect(Self.parse("localhost:65535") == PeerAddress(host: "localhost", port: 65535))
        #expect(Self.parse("127.0.0.1:0") == PeerAddress(host: "127.0.0.1", port: 0))
    }

    @Test func aHostAloneGetsTheDefaultPort() throws {
        #expect(PeerAddress.defaultPort == 7850)
        #expect(Self.parse("192.168.1.20") == PeerAddress(host: "192.168.1.20", port: 7850))
        #expect(Self.parse("border-post") == PeerAddress(host: "border-post", port: 7850))
        #expect(try PeerAddress(parsing: "border-post", defaultPort: 9000).port == 9000)
    }

    @Test func anIPv6AddressInBrackets() throws {
        #expect(Self.parse("[::1]:7850") == PeerAddress(host: "::1", port: 7850))
        #expect(Self.parse("[fe80::1%eth0]:9") == PeerAddress(host: "fe80::1%eth0", port: 9))
        #expect(Self.parse("[2001:db8::7]") == PeerAddress(host: "2001:db8::7", port: 7850))
        // Without brackets, the port of an IPv6 address cannot be told from its last group.
        #expect(Self.code("::1") == .invalidAddress)
        #expect(Self.code("2001:db8::7:7850") == .invalidAddress)
        #expect(Self.code("[::1") == .invalidAddress)
        #expect(Self.code("[::1]7850") == .invalidAddress)
    }

    @Test func descriptionsReadBackAsTheSameAddress() throws {
        for text in ["192.168.1.20:7851", "[::1]:7850", "clinic:1"] {
            let address = try PeerAddress(parsing: text)
            #expect(address.description == text)
            #expect(try PeerAddress(parsing: address.description) == address)
        }
    }

    @Test(arguments: [
        "host:", "host:port", "host:-1", "host:65536", "host:99999999999999999999", "host:7850x", "host: 80",
    ])
    func aBadPortIsRefusedNamingIt(text: String) {
        let error = Nodes.error { () throws(SyncError) in try PeerAddress(parsing: text) }
        #expect(error?.code == .invalidAddress)
        #expect(error?.message.contains("'\(text)'") == true)
    }

    @Test(arguments: ["", ":7850", "[]:7850", "[]", " ", "  :7850"])
    func anEmptyHostIsRefused(text: String) {
        #expect(Self.code(text) == .invalidAddress)
    }

    @Test(arguments: ["border post:7850", " border-post:7850", "border-post :7850", "border-post\t", "a\nb:1", "a/b:1"])
    func spacesAndSlashesInTheHostAreRefused(text: String) {
        let error = Nodes.error { () throws(SyncError) in try PeerAddress(parsing: text) }
        #expect(error?.code == .invalidAddress)
        #expect(error?.message.contains("HOST:PORT") == true)
    }

    @Test func aHostOfMoreThan253CharactersIsRefused() {
        let label = String(repeating: "a", count: 63)
        let long = [label, label, label, String(repeating: "a", count: 61)].joined(separator: ".")
        #expect(long.count == 253)
        #expect(Self.parse(long + ":1")?.host == long)
        #expect(Self.code("a" + long + ":1") == .invalidAddress)
    }
}
