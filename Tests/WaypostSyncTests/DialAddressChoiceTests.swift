import Testing
import WaypostSync

/// A discovered address never displaces a stored address that works (`Protocol/sync.md` §8.4).
@Suite struct DialAddressChoiceTests {
    @Test func aStoredAddressThatWorksIsAlwaysDialled() {
        var choice = DialAddressChoice()
        for _ in 0..<5 {
            #expect(choice.next(stored: "10.0.0.5:7850", discovered: "10.0.0.66:7850") == "10.0.0.5:7850")
            choice.record("10.0.0.5:7850", stored: "10.0.0.5:7850", reached: true)
        }
    }

    @Test func theDiscoveredAddressIsTriedWhenTheStoredOneFails() {
        var choice = DialAddressChoice()
        let stored = "10.0.0.5:7850"
        let discovered = "192.168.1.9:7850"
        #expect(choice.next(stored: stored, discovered: discovered) == stored)
        choice.record(stored, stored: stored, reached: false)
        #expect(choice.next(stored: stored, discovered: discovered) == discovered)
        // While it works, it is kept (the clinic is back at base).
        choice.record(discovered, stored: stored, reached: true)
        #expect(choice.next(stored: stored, discovered: discovered) == discovered)
        // When it fails too, the stored address is tried again: a forgery costs at most every other dial.
        choice.record(discovered, stored: stored, reached: false)
        #expect(choice.next(stored: stored, discovered: discovered) == stored)
    }

    @Test func withOneAddressThatOneIsDialled() {
        var choice = DialAddressChoice()
        #expect(choice.next(stored: nil, discovered: "192.168.1.9:7850") == "192.168.1.9:7850")
        #expect(choice.next(stored: "10.0.0.5:7850", discovered: nil) == "10.0.0.5:7850")
        #expect(choice.next(stored: nil, discovered: nil) == nil)
        choice.record("10.0.0.5:7850", stored: "10.0.0.5:7850", reached: false)
        #expect(choice.next(stored: "10.0.0.5:7850", discovered: nil) == "10.0.0.5:7850")
        #expect(choice.next(stored: "10.0.0.5:7850", discovered: "10.0.0.5:7850") == "10.0.0.5:7850")
    }
}
