// dnsmasq's `domain=` as it touches DNS without DHCP: the domain `expand-hosts` appends to the dotless
// names of hosts files (cache.c read_hostsfile: get_domain / get_domain6 of the line's address), and the
// `local` form's local-only zones. Forms (option.c, case 's'):
//   domain=DOM                      the default domain, for every address
//   domain=#                        the first `search` domain of the resolv-file (option.c, after the
//                                   options; exactly one resolv-file and not no-resolv)
//   domain=DOM,ADDR/LEN[,local]     addresses in that subnet; `local` also makes DOM and the subnet's
//                                   reverse zones local-only (local=/DOM/, local=/…in-addr.arpa/)
//   domain=DOM,START[,END]          an IPv4 range (START..END, or START alone), or an IPv6 range — which
//                                   dnsmasq 2.90 stores with prefix length 0, so it matches every IPv6
//                                   address (domain.c match_domain6); kept as dnsmasq does it
//   domain=DOM,INTERFACE            the interface's subnets: refused (stoep would have to follow them)
// The lines are searched newest first (option.c prepends each to daemon->cond_domain), then the default.

public struct DNSHostsDomain: Equatable, Sendable {
    public enum Match: Equatable, Sendable {
        /// Inclusive IPv4 range (a subnet is its first and last address).
        case v4(low: UInt32, high: UInt32)
        /// IPv6 addresses within `length` bits of `prefix` (0: every IPv6 address).
        case v6(prefix: IPv6Address, length: Int)
    }

    public var domain: DNSName
    public var match: Match

    func matches(_ address: IPAddress) -> Bool {
        switch (match, address) {
        case (.v4(let low, let high), .v4(let a)): return a.value >= low && a.value <= high
        case (.v6(let prefix, let length), .v6(let a)): return Self.samePrefix(a, prefix, length)
        default: return false
        }
    }

    static func samePrefix(_ a: IPv6Address, _ b: IPv6Address, _ length: Int) -> Bool {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? ~0 : ~0 << UInt64(64 - bits) }
        return a.high & mask(length) == b.high & mask(length) && a.low & mask(length - 64) == b.low & mask(length - 64)
    }
}

/// Every `domain=` line of the configuration, as hosts-file expansion asks for it.
public struct DNSHostsDomains: Equatable, Sendable {
    /// `domain=DOM` (the last one wins).
    public var suffix: DNSName?
    /// `domain=#`: the suffix is the resolv-file's first search domain, read with it.
    public var suffixFromResolvFile = false
    /// Conditional lines, in the order written.
    public var conditional: [DNSHostsDomain] = []

    public init() {}

    /// The domain `expand-hosts` appends for a name at `address`: the newest matching line, else the default.
    public func domain(for address: IPAddress) -> DNSName? {
        conditional.last { $0.matches(address) }?.domain ?? suffix
    }

    /// Parses one `domain=` line; returns the local-only server line its `local` form adds.
    mutating func add(_ v: DNSOptionValue) throws(DNSOptionError) -> DNSServerLine? {
        let items = try v.required().split(separator: ",", omittingEmptySubsequences: false).map { DnsmasqConfReader.trim($0) }
        guard items.count > 1 else {
            if items[0] == "#" { suffixFromResolvFile = true; suffix = nil } else {
                suffix = try v.name(items[0])
                suffixFromResolvFile = false
            }
            return nil
        }
        let domain = try v.name(items[0])
        let target = items[1]
        if let slash = target.firstIndex(of: "/") {
            let addressText = String(target[..<slash])
            guard let length = Int(target[target.index(after: slash)...]) else { throw v.error("'\(target)': bad prefix length") }
            guard items.count <= 3 else { throw v.error("expected DOMAIN,ADDRESS/LENGTH[,local]") }
            let local = items.count == 3
            if local && items[2] != "local" { throw v.error("'\(items[2])': only `local` may follow the subnet") }
            var zones: [DNSName] = []
            if let a = IPv4Address(addressText) {
                guard length >= 0, length <= 32 else { throw v.error("bad prefix length") }
                let hostBits: UInt32 = length == 0 ? ~0 : length == 32 ? 0 : (1 << UInt32(32 - length)) - 1
                conditional.append(DNSHostsDomain(domain: domain, match: .v4(low: a.value & ~hostBits, high: a.value | hostBits)))
                if local { zones = try DNSReverseZones.of(.v4(a), length: length, v) }
            } else if let a = IPv6Address(addressText) {
                guard length >= 0, length <= 128 else { throw v.error("bad prefix length") }
                conditional.append(DNSHostsDomain(domain: domain, match: .v6(prefix: a, length: length)))
                if local { zones = try DNSReverseZones.of(.v6(a), length: length, v) }
            } else {
                throw v.error("'\(addressText)' is not an IP address")
            }
            return local ? DNSServerLine(domains: [domain] + zones, target: .localOnly, location: v.line.fileAndLine) : nil
        }
        guard items.count <= 3 else { throw v.error("expected DOMAIN,START[,END]") }
        if let start = IPv4Address(String(target)) {
            var end = start
            if items.count == 3 {
                guard let e = IPv4Address(String(items[2])) else { throw v.error("'\(items[2])' is not an IPv4 address") }
                end = e
            }
            conditional.append(DNSHostsDomain(domain: domain, match: .v4(low: start.value, high: end.value)))
        } else if let start = IPv6Address(String(target)) {
            if items.count == 3 && IPv6Address(String(items[2])) == nil { throw v.error("'\(items[2])' is not an IPv6 address") }
            // dnsmasq 2.90 keeps prefix length 0 for an IPv6 range: every IPv6 address matches.
            conditional.append(DNSHostsDomain(domain: domain, match: .v6(prefix: start, length: 0)))
        } else {
            throw v.error("'\(target)': the interface form (domain=DOMAIN,INTERFACE) is not supported by stoep; "
                          + "give the interface's subnet (domain=DOMAIN,ADDRESS/LENGTH)")
        }
        return nil
    }
}

/// The reverse zones dnsmasq makes for a subnet (option.c domain_rev4 / domain_rev6): whole octets
/// (nibbles for IPv6) of the prefix; a length between boundaries gives one zone per value of the next one.
enum DNSReverseZones {
    static func of(_ address: IPAddress, length: Int, _ v: DNSOptionValue) throws(DNSOptionError) -> [DNSName] {
        let digits: [Int], bits: Int, suffix: String, hex: Bool
        switch address {
        case .v4(let a):
            guard length >= 1, length <= 32 else { throw v.error("bad IPv4 prefix length") }
            digits = a.bytes.map(Int.init); bits = 8; suffix = "in-addr.arpa"; hex = false
        case .v6(let a):
            guard length >= 1, length <= 128 else { throw v.error("bad IPv6 prefix length") }
            digits = a.bytes.flatMap { [Int($0 >> 4), Int($0 & 15)] }; bits = 4; suffix = "ip6.arpa"; hex = true
        }
        let whole = length / bits, rem = length % bits
        var masked = digits
        if rem != 0 { masked[whole] &= ~((1 << (bits - rem)) - 1) }
        let count = rem == 0 ? 1 : 1 << (bits - rem)
        var zones: [DNSName] = []
        for i in 0..<count {
            var labels = masked[0..<whole].map { hex ? String($0, radix: 16) : String($0) }
            if rem != 0 { labels.append(hex ? String(masked[whole] + i, radix: 16) : String(masked[whole] + i)) }
            zones.append(try v.name(Substring((labels.reversed() + [suffix]).joined(separator: "."))))
        }
        return zones
    }
}
