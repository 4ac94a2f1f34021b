// The box's network interfaces and their IP addresses: the one getifaddrs of stoep (dnsmasq's
// `interface=` lines, auto-DNS's own address). Read when a configuration is loaded, not per packet.
import CStoep
import Glibc

public struct NetworkInterface: Sendable {
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// IFF_UP: administratively up.
        public static let up = Flags(rawValue: 1 << 0)
        /// IFF_LOOPBACK.
        public static let loopback = Flags(rawValue: 1 << 1)
    }

    public let name: String
    public let flags: Flags
    /// IPv4 and IPv6 addresses (port 0), in the order the kernel lists them; IPv6 link-local ones included.
    public let addresses: [SocketAddress]
    /// The network prefix length of each address (from its netmask), in the same order: the box's own
    /// subnets, for dnsmasq's `local-service`.
    public let prefixLengths: [Int]

    /// Every interface with its addresses, in the order getifaddrs first names each (the kernel's
    /// interface index order); empty when getifaddrs fails.
    public static func all() -> [NetworkInterface] {
        var list: UnsafeMutablePointer<ifaddrs>? = nil
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var order: [String] = []
        var found: [String: (flags: Flags, addresses: [SocketAddress], prefixes: [Int])] = [:]
        var p = list
        while let entry = p {
            defer { p = entry.pointee.ifa_next }
            guard let cname = entry.pointee.ifa_name else { continue }
            let name = String(cString: cname)
            if found[name] == nil {
                let raw = Int32(bitPattern: entry.pointee.ifa_flags)
                var flags: Flags = []
                if raw & Int32(IFF_UP) != 0 { flags.insert(.up) }
                if raw & Int32(IFF_LOOPBACK) != 0 { flags.insert(.loopback) }
                found[name] = (flags, [], [])
                order.append(name)
            }
            if let sa = entry.pointee.ifa_addr, let address = SocketAddress(ipOf: UnsafePointer(sa), port: 0) {
                found[name]!.addresses.append(address)
                var bits = 0
                if let mask = entry.pointee.ifa_netmask, let m = SocketAddress(ipOf: UnsafePointer(mask), port: 0),
                   let bytes = m.ipBytes {
                    bits = bytes.reduce(0) { $0 + $1.nonzeroBitCount }
                } else {
                    bits = address.ipv4 != nil ? 32 : 128
                }
                found[name]!.prefixes.append(bits)
            }
        }
        return order.map {
            NetworkInterface(name: $0, flags: found[$0]!.flags, addresses: found[$0]!.addresses, prefixLengths: found[$0]!.prefixes)
        }
    }
}
