// Assembling a LocalZone from parsed settings, hosts files and proxy-published names.
// Addresses for the same name or domain accumulate across lines (several address= lines
// for one domain give several records). Errors point at the configuration line.

public struct LocalZoneError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `file:line` of the offending option.
    public var location: String
    public var message: String
    public var description: String { "\(location): \(message)" }
}

extension LocalZone {
    /// Longest CNAME chain accepted (alias → alias → … → addresses).
    static let maxAliasChain = 8

    /// Builds the zone. `hostsFiles` are already parsed (the caller reads /etc/hosts unless
    /// `no-hosts`, and each `addn-hosts` file). Throws for a CNAME whose target is not local
    /// data, a CNAME loop, or a name that is both an alias and has addresses.
    public init(settings: DNSSettings, hostsFiles: [HostsFile] = [],
                publishedNames: [DNSName: [IPAddress]] = [:]) throws(LocalZoneError) {
        self.init()
        localTTL = settings.localTTL
        for record in settings.hostRecords {
            let ttl = record.ttl ?? settings.localTTL
            for name in record.names {
                for address in record.addresses { addExact(name, address, ttl: ttl, source: .config) }
            }
            if let first = record.names.first {
                for address in record.addresses { addPointer(address, to: first, ttl: ttl, source: .config) }
            }
        }
        for file in hostsFiles {
            let source = LocalSource.hostsFile(file.file)
            for entry in file.entries {
                // expand-hosts (cache.c read_hostsfile): a dotless name is entered as name.domain first and
                // then as written, so the address's PTR (first name wins) answers the expanded name.
                let domain = settings.expandHosts ? settings.hostsDomains.domain(for: entry.address) : nil
                for (index, name) in entry.names.enumerated() {
                    if let domain, index < entry.dotless.count, entry.dotless[index], let expanded = name.appending(domain) {
                        addExact(expanded, entry.address, ttl: settings.localTTL, source: source)
                        addPointer(entry.address, to: expanded, ttl: settings.localTTL, source: source)
                    }
                    addExact(name, entry.address, ttl: settings.localTTL, source: source)
                    addPointer(entry.address, to: name, ttl: settings.localTTL, source: source)
                }
            }
        }
        for record in settings.cnames {
            for alias in record.aliases {
                guard exact[alias] == nil, aliases[alias] == nil else {
                    throw LocalZoneError(location: record.location, message: "'\(alias)' already has local records")
                }
                aliases[alias] = (record.target, record.ttl ?? settings.localTTL)
            }
        }
        for record in settings.cnames {
            try checkAliasChain(from: record.target, location: record.location)
        }
        for rule in settings.addressRules where !rule.addresses.isEmpty {
            for domain in rule.domains {
                var set = LocalAddressSet(ttl: settings.localTTL, source: .config)
                if case .addresses(let existing)? = domains[domain] { set = existing }
                for address in rule.addresses { set.add(address) }
                domains[domain] = .addresses(set)
            }
        }
        // Rules without addresses only fill domains that address= lines did not claim; they are
        // remembered for those too (other types of an address= domain under local= get NOERROR).
        var localOnly = settings.addressRules.filter(\.addresses.isEmpty).flatMap(\.domains)
        for line in settings.servers {
            if case .localOnly = line.target { localOnly += line.domains }
        }
        localOnlyDomains = Set(localOnly)
        for domain in localOnly where domains[domain] == nil { domains[domain] = .localOnly }
        for line in settings.servers where line.target != .localOnly {
            for domain in line.domains where domains[domain] == nil { domains[domain] = .forward }
        }
        if settings.bogusPriv {
            for domain in Self.privateReverseZones where domains[domain] == nil { domains[domain] = .privateReverse }
        }
        markLocalOnlyCoverage()
        for name in exact.keys { Self.addAncestors(of: name, to: &nonTerminals) }
        for name in aliases.keys { Self.addAncestors(of: name, to: &nonTerminals) }
        self = replacingPublishedNames(publishedNames)
    }

    /// Sets `inLocalOnlyDomain` on every exact name and address= domain, once the domain rules are known.
    private mutating func markLocalOnlyCoverage() {
        for (name, set) in exact where inLocalOnlyDomain(name) {
            var covered = set
            covered.inLocalOnlyDomain = true
            exact[name] = covered
        }
        for (domain, rule) in domains {
            guard case .addresses(var set) = rule, inLocalOnlyDomain(domain) else { continue }
            set.inLocalOnlyDomain = true
            domains[domain] = .addresses(set)
        }
    }

    private mutating func addExact(_ name: DNSName, _ address: IPAddress, ttl: UInt32, source: LocalSource) {
        var set = exact[name] ?? LocalAddressSet(ttl: ttl, source: source)
        set.add(address)
        exact[name] = set
    }

    /// First name wins for an address; no PTR for 0.0.0.0 / :: (block-list entries).
    private mutating func addPointer(_ address: IPAddress, to name: DNSName, ttl: UInt32, source: LocalSource) {
        if address == .v4(.any) || address == .v6(.any) { return }
        let reverse = address.reverseName
        if pointers[reverse] == nil { pointers[reverse] = (name, address, ttl, source) }
    }

    private func checkAliasChain(from target: DNSName, location: String) throws(LocalZoneError) {
        var current = target
        for _ in 0..<Self.maxAliasChain {
            if exact[current] != nil { return }
            guard let next = aliases[current] else {
                throw LocalZoneError(location: location,
                                     message: "CNAME target '\(current)' is not a local name (host-record or hosts file)")
            }
            current = next.target
        }
        throw LocalZoneError(location: location, message: "CNAME chain from '\(target)' loops or is too long")
    }

    /// RFC 6303 locally served reverse zones: what `bogus-priv` keeps from going upstream.
    static var privateReverseZones: [DNSName] {
        var texts = ["10.in-addr.arpa", "168.192.in-addr.arpa", "0.in-addr.arpa", "127.in-addr.arpa",
                     "254.169.in-addr.arpa", "2.0.192.in-addr.arpa", "100.51.198.in-addr.arpa",
                     "113.0.203.in-addr.arpa", "255.255.255.255.in-addr.arpa",
                     "d.f.ip6.arpa", "8.e.f.ip6.arpa", "9.e.f.ip6.arpa", "a.e.f.ip6.arpa", "b.e.f.ip6.arpa",
                     "8.b.d.0.1.0.0.2.ip6.arpa"]
        texts += (16...31).map { "\($0).172.in-addr.arpa" }
        var names = texts.compactMap { try? DNSName(text: $0) }
        names.append(IPAddress.v6(.any).reverseName)
        names.append(IPAddress.v6(IPv6Address(high: 0, low: 1)).reverseName)
        return names
    }
}
