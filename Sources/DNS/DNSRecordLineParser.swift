// Value grammars of address=, host-record=, cname=, server= and local= (man dnsmasq).

enum DNSRecordLineParser {
    /// `/d1/d2/…/[ip|#]`. `/.d/` is `/d/`; `/#/` matches every name; `#` as the address means
    /// 0.0.0.0 and ::. Patterns with `*` and the `//` (unqualified names) form are not supported.
    static func address(_ v: DNSOptionValue) throws(DNSOptionError) -> DNSAddressRule {
        let (domains, tail) = try slashDomains(v)
        var addresses: [IPAddress] = []
        switch tail {
        case "": break
        case "#": addresses = [.v4(.any), .v6(.any)]
        default:
            guard let address = IPAddress(String(tail)) else { throw v.error("'\(tail)' is not an IP address") }
            addresses = [address]
        }
        return DNSAddressRule(domains: domains, addresses: addresses, location: v.line.fileAndLine)
    }

    /// `name[,name..],[v4],[v6][,TTL]`: names first, then addresses, then an optional TTL.
    static func hostRecord(_ v: DNSOptionValue) throws(DNSOptionError) -> DNSHostRecord {
        var items = try v.list()[...]
        var ttl: UInt32? = nil
        if items.count > 1, let last = items.last, let n = UInt32(last) {
            ttl = n
            items = items.dropLast()
        }
        var names: [DNSName] = []
        var addresses: [IPAddress] = []
        for item in items {
            if let address = IPAddress(item) {
                addresses.append(address)
            } else {
                guard addresses.isEmpty else { throw v.error("'\(item)' is not an IP address") }
                names.append(try v.name(Substring(item)))
            }
        }
        guard !names.isEmpty else { throw v.error("needs at least one name") }
        guard !addresses.isEmpty else { throw v.error("needs at least one address") }
        return DNSHostRecord(names: names, addresses: addresses, ttl: ttl, location: v.line.fileAndLine)
    }

    /// `alias[,alias..],target[,TTL]`.
    static func cname(_ v: DNSOptionValue) throws(DNSOptionError) -> DNSCNAMERecord {
        var items = try v.list()[...]
        var ttl: UInt32? = nil
        if items.count > 2, let last = items.last, let n = UInt32(last) {
            ttl = n
            items = items.dropLast()
        }
        guard items.count >= 2, let targetText = items.last else { throw v.error("needs an alias and a target") }
        var aliases: [DNSName] = []
        for alias in items.dropLast() { aliases.append(try v.name(Substring(alias))) }
        let target = try v.name(Substring(targetText))
        return DNSCNAMERecord(aliases: aliases, target: target, ttl: ttl, location: v.line.fileAndLine)
    }

    /// `ip[#port]`, `/d1/d2/ip[#port]`, `/d/` (local only), `/d/#` (use the default servers).
    /// `local=` takes the same forms (dnsmasq treats it as a synonym). `@interface`/`@source` are not supported.
    static func server(_ v: DNSOptionValue) throws(DNSOptionError) -> DNSServerLine {
        let value = try v.required()
        var domains: [DNSName] = []
        var tail = Substring(value)
        if value.hasPrefix("/") { (domains, tail) = try slashDomains(v) }
        let target: DNSServerLine.Target
        if tail.isEmpty {
            guard !domains.isEmpty else { throw v.error("needs an address") }
            target = .localOnly
        } else if tail == "#" {
            guard !domains.isEmpty else { throw v.error("'#' needs /domain/ in front") }
            target = .defaultServers
        } else {
            guard !tail.contains("@") else { throw v.error("@interface and @source are not supported") }
            var addressText = tail
            var port: UInt16 = 53
            if let hash = tail.firstIndex(of: "#") {
                addressText = tail[..<hash]
                guard let p = UInt16(tail[tail.index(after: hash)...]), p > 0 else {
                    throw v.error("'\(tail[tail.index(after: hash)...])' is not a port")
                }
                port = p
            }
            guard let address = IPAddress(String(addressText)) else {
                throw v.error("'\(addressText)' is not an IP address")
            }
            target = .upstream(address, port: port)
        }
        return DNSServerLine(domains: domains, target: target, location: v.line.fileAndLine)
    }

    /// `rev-server=ADDR[/LEN][,SERVER]` (option.c LOPT_REV_SERV): SERVER (as in server=) for the subnet's
    /// reverse zones, or local-only ones without SERVER (domain_rev4/domain_rev6 with no server).
    static func reverseServer(_ v: DNSOptionValue) throws(DNSOptionError) -> DNSServerLine {
        let value = try v.required()
        let comma = value.firstIndex(of: ",")
        let subnet = DnsmasqConfReader.trim(value[..<(comma ?? value.endIndex)])
        let server = comma.map { String(DnsmasqConfReader.trim(value[value.index(after: $0)...])) }
        var addressText = subnet
        var length: Int? = nil
        if let slash = subnet.firstIndex(of: "/") {
            addressText = subnet[..<slash]
            length = Int(subnet[subnet.index(after: slash)...])  // not a number: the whole address (atoi_check fails)
        }
        guard let address = IPAddress(String(addressText)) else { throw v.error("'\(addressText)' is not an IP address") }
        let bits: Int
        if case .v4 = address { bits = length ?? 32 } else { bits = length ?? 128 }
        let zones = try DNSReverseZones.of(address, length: bits, v)
        guard let server, !server.isEmpty else {
            return DNSServerLine(domains: zones, target: .localOnly, location: v.line.fileAndLine)
        }
        var line = v.line
        line.value = "/" + zones.map(\.description).joined(separator: "/") + "/" + server
        var parsed = try Self.server(DNSOptionValue(line: line))
        parsed.domains = zones
        return parsed
    }

    /// Splits `/d1/d2/tail` into domain names and the text after the last slash.
    private static func slashDomains(_ v: DNSOptionValue) throws(DNSOptionError) -> ([DNSName], Substring) {
        let value = try v.required()
        guard value.hasPrefix("/") else { throw v.error("expected /domain/ first") }
        let parts = value.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, let tail = parts.last else { throw v.error("expected /domain/ first") }
        var domains: [DNSName] = []
        for part in parts.dropLast() {
            if part == "#" { domains.append(.root); continue }
            guard !part.isEmpty else { throw v.error("'//' (unqualified names) is not supported") }
            guard !part.contains("*") else { throw v.error("wildcard patterns ('\(part)') are not supported") }
            domains.append(try v.name(part.hasPrefix(".") ? part.dropFirst() : part))
        }
        return (domains, tail)
    }
}
