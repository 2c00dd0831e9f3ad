import NIOCore
import WaypostSync

/// The IPv4 networks of the host's interfaces, by interface index, looked up again at most every 10
/// seconds (a laptop moves between networks).
struct InterfaceNetworks {
    private var byInterface: [Int: [DiscoveryFilter.Link]] = [:]
    private var lookedUp: ContinuousClock.Instant? = nil

    /// The networks of the interface `index` (none if it is unknown).
    mutating func networks(of index: Int?) -> [DiscoveryFilter.Link] {
        guard let index else { return [] }
        if lookedUp.map({ ContinuousClock.now - $0 > .seconds(10) }) ?? true {
            lookedUp = .now
            byInterface = [:]
            for device in (try? System.enumerateDevices()) ?? [] {
                guard let address = device.address?.ipAddress, let netmask = device.netmask?.ipAddress,
                    let link = DiscoveryFilter.Link(address: address, netmask: netmask)
                else { continue }
                byInterface[device.interfaceIndex, default: []].append(link)
            }
        }
        return byInterface[index] ?? []
    }
}
