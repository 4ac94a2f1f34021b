// Auto-DNS (beyond Traefik): every exact host name a router's rule routes (the Rules module's reading:
// Host(...) not under a negation, no wildcard) that lies under one of the box's local domains is published in the local DNS zone, so a new container is reachable by name without
// editing any DNS configuration. The local domains are those of the dnsmasq `address=`, `local=` and
// `domain=` lines, or `[autoDNS] domains`; a name outside them is never published (a label must not be
// able to take over a public name). The address is `[autoDNS] address`, else the one the domain's
// `address=` line gives, else the box's first non-loopback IPv4 address. Names of routes that disappear
// are withdrawn with the next rebuild (the published set is replaced whole).
import Config
import DNS
import Reactor

struct AutoDNSSettings: Equatable {
    var enabled = true
    /// nil = the dnsmasq lines' domains.
    var domains: [String]?
    var address: String?
    /// `domain=` lines of the DNS options (dnsmasq's DHCP domain, a local domain too).
    var dhcpDomains: [String] = []

    static let keys = ["enabled", "domains", "address"]

    /// `[autoDNS]` of stoep's TOML; every problem is a ConfigError at its key.
    static func decode(_ node: TOMLNode?) -> (AutoDNSSettings, [ConfigError]) {
        var settings = AutoDNSSettings()
        var errors: [ConfigError] = []
        guard let node else { return (settings, []) }
        guard case .table(let table) = node.value else {
            return (settings, [ConfigError(location: node.location, message: "[autoDNS] must be a table")])
        }
        for (key, value) in table.entries {
            switch (key, value.value) {
            case ("enabled", .bool(let flag)): settings.enabled = flag
            case ("address", .string(let text)) where IPAddress(text) != nil: settings.address = text
            case ("domains", .array(let items)):
                var domains: [String] = []
                for item in items {
                    if case .string(let d) = item.value, (try? DNSName(text: d)) != nil { domains.append(d) } else {
                        errors.append(ConfigError(location: item.location, message: "autoDNS.domains: expected domain names"))
                    }
                }
                settings.domains = domains
            default:
                let what = keys.contains(key) ? "bad value for autoDNS.\(key) (enabled: boolean, domains: list of names, address: an IP address)"
                                              : "unknown key autoDNS.\(key) (known: \(keys.joined(separator: ", ")))"
                errors.append(ConfigError(location: value.location, message: what))
            }
        }
        return (settings, errors)
    }

    /// What to publish for `hosts` (from the current routers), given the DNS service's settings.
    func publishedNames(hosts: [String], dns: DNSSettings) -> [DNSName: [IPAddress]] {
        guard enabled else { return [:] }
        var local: [(domain: DNSName, addresses: [IPAddress])] = []
        if let domains {
            for d in domains { if let name = try? DNSName(text: d) { local.append((name, [])) } }
        } else {
            for rule in dns.addressRules { for d in rule.domains { local.append((d, rule.addresses)) } }
            for (d, _) in dns.localOnlyDomains { local.append((d, [])) }
            for d in dhcpDomains { if let name = try? DNSName(text: d) { local.append((name, [])) } }
        }
        let fixed = address.flatMap(IPAddress.init)
        var out: [DNSName: [IPAddress]] = [:]
        for host in hosts {
            guard let name = try? DNSName(text: host) else { continue }
            // The most specific local domain the name lies under decides its address.
            let matches = local.filter { name == $0.domain || name.isSubdomain(of: $0.domain) }
            guard let best = matches.max(by: { $0.domain.description.count < $1.domain.description.count }) else { continue }
            let v4 = best.addresses.filter { if case .v4(let a) = $0 { return a != .any } else { return false } }
            if let fixed {
                out[name] = [fixed]
            } else if let first = v4.first {
                out[name] = [first]
            } else if let own = Self.firstNonLoopbackIPv4() {
                out[name] = [own]
            }
        }
        return out
    }

    /// The first IPv4 address of an interface that is up and not loopback (the kernel's order).
    static func firstNonLoopbackIPv4() -> IPAddress? {
        for interface in NetworkInterface.all() where interface.flags.contains(.up) && !interface.flags.contains(.loopback) {
            if let v4 = interface.addresses.lazy.compactMap(\.ipv4).first { return .v4(IPv4Address(v4)) }
        }
        return nil
    }
}
