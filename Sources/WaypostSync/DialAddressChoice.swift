/// Which address the dialler of one peer tries next, when it knows the peer's stored address
/// (`waypost peer add … --address`) and one that discovery found (`Protocol/sync.md` §8.4). No sockets
/// here, only the rule.
///
/// **A discovered address never displaces a stored address that works.** Anyone on the link can
/// announce any node at an address of its choosing (§8.5), so the dialler tries the stored address
/// first and as long as it leads to the node; it tries the discovered one only when there is no stored
/// address, or when the last dial of the stored address failed (the peer has moved: a clinic back at
/// base). A discovered address that fails in turn sends the dialler back to the stored one, so a
/// forged announcement costs at most every other dial.
package struct DialAddressChoice: Sendable, Hashable {
    private var storedFailed = false

    /// A choice that starts with the stored address.
    package init() {}

    /// The address to dial next, given the peer's stored and discovered addresses (either may be
    /// missing); nil if it has neither.
    package func next(stored: String?, discovered: String?) -> String? {
        guard let stored else { return discovered }
        guard let discovered, discovered != stored, storedFailed else { return stored }
        return discovered
    }

    /// Records how a dial of `address` went: `reached` if the handshake proved the expected node there.
    package mutating func record(_ address: String, stored: String?, reached: Bool) {
        if address == stored {
            storedFailed = !reached
        } else if !reached {
            storedFailed = false
        }
    }
}
