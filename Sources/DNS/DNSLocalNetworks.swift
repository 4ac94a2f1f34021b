// dnsmasq's `local-service`: answer only clients whose address is on one of the box's own subnets — an
// interface address with its prefix length (forward.c receive_query, is_same_net/is_same_net6 against
// daemon->interface_addrs). dnsmasq applies it only when there is no `interface`, `except-interface`,
// `listen-address` or `auth-server` line (dnsmasq.c resets OPT_LOCAL_SERVICE then); a query from
// elsewhere is ignored — no answer at all, so the box reflects nothing — with one warning,
// "ignoring query from non-local network". stoep does this by default (docs/dns.md, "Not an open
// resolver"), as Debian's and OpenWrt's dnsmasq packages do by passing --local-service.
import Reactor

public struct DNSLocalNetworks: Sendable {
    /// (network address, prefix length), IPv4 and IPv6.
    public private(set) var networks: [(address: IPAddress, prefixLength: Int)]

    public init(networks: [(address: IPAddress, prefixLength: Int)]) {
        self.networks = networks
    }

    /// The subnets of every interface now (loopback included: 127.0.0.0/8, ::1/128).
    public static func ofInterfaces() -> DNSLocalNetworks {
        var list: [(IPAddress, Int)] = []
        for interface in NetworkInterface.all() {
            for (address, prefix) in zip(interface.addresses, interface.prefixLengths) {
                if let ip = IPAddress(address) { list.append((ip, prefix)) }
            }
        }
        return DNSLocalNetworks(networks: list)
    }

    /// True when `client` is on one of the networks. IPv4-mapped IPv6 clients are compared as IPv4.
    public func contains(_ client: IPAddress) -> Bool {
        let c = client.unmappedV4
        for (network, prefix) in networks {
            switch (network, c) {
            case (.v4(let n), .v4(let a)):
                let mask: UInt32 = prefix <= 0 ? 0 : prefix >= 32 ? .max : ~(UInt32.max >> UInt32(prefix))
                if n.value & mask == a.value & mask { return true }
            case (.v6(let n), .v6(let a)):
                let highMask: UInt64 = prefix <= 0 ? 0 : prefix >= 64 ? .max : ~(UInt64.max >> UInt64(prefix))
                let lowBits = prefix - 64
                let lowMask: UInt64 = lowBits <= 0 ? 0 : lowBits >= 64 ? .max : ~(UInt64.max >> UInt64(lowBits))
                if n.high & highMask == a.high & highMask && n.low & lowMask == a.low & lowMask { return true }
            default:
                continue
            }
        }
        return false
    }
}

extension IPAddress {
    /// `::ffff:a.b.c.d` as the IPv4 address it carries; any other address as it is.
    var unmappedV4: IPAddress {
        if case .v6(let a) = self, a.high == 0, a.low >> 32 == 0xFFFF {
            return .v4(IPv4Address(UInt32(truncatingIfNeeded: a.low)))
        }
        return self
    }
}
