// Local DNS data, immutable once built: the responder holds one value and a reload or a
// proxy update swaps in a new one whole. Lookup precedence, highest first:
//   1. explicit exact records: host-record, hosts files, cname aliases (and their PTRs);
//   2. names published by the proxy (exact names);
//   3. domain rules from address=, local=/d/ and server=/d/… — the most specific domain
//      wins, matched on label boundaries (`/d/` covers `x.y.d`, not `xd`). A server=/d/ip
//      line under a broader address= domain sends its names upstream, as in dnsmasq; for the
//      same domain, address= wins.
// What dnsmasq 2.90 makes of the negative cases (rfc1035.c answer_request, domain-match.c
// is_local_answer, cache.c make_non_terminals) is kept with the data: the empty non-terminals
// (names with records below them but none of their own) and, per name, whether a local-only
// domain covers it.

/// Where a local answer came from, for `log-queries` lines.
public enum LocalSource: Equatable, Sendable {
    /// address=, host-record=, cname=, local= (dnsmasq logs these as `config`).
    case config
    /// A hosts file, by name (dnsmasq logs the file name).
    case hostsFile(String)
    /// A name published by the proxy.
    case published
}

/// The addresses a name owns locally. An empty family means NODATA for that type.
public struct LocalAddressSet: Equatable, Sendable {
    public var v4: [IPv4Address]
    public var v6: [IPv6Address]
    public var ttl: UInt32
    public var source: LocalSource
    /// The name lies in a local-only domain (see `LocalZone.inLocalOnlyDomain`): dnsmasq answers its
    /// other types itself, NOERROR without AA. Otherwise dnsmasq forwards them (stoep answers NODATA
    /// with AA, what dnsmasq makes of the upstream's NXDOMAIN for a name it knows).
    public var inLocalOnlyDomain: Bool

    public init(v4: [IPv4Address] = [], v6: [IPv6Address] = [], ttl: UInt32, source: LocalSource,
                inLocalOnlyDomain: Bool = false) {
        self.v4 = v4
        self.v6 = v6
        self.ttl = ttl
        self.source = source
        self.inLocalOnlyDomain = inLocalOnlyDomain
    }

    /// `address=/d/#`: 0.0.0.0 and :: and nothing else (dnsmasq answers both families for ANY).
    var isBlockAddresses: Bool { v4 == [.any] && v6 == [.any] }

    mutating func add(_ address: IPAddress) {
        switch address {
        case .v4(let a): if !v4.contains(a) { v4.append(a) }
        case .v6(let a): if !v6.contains(a) { v6.append(a) }
        }
    }
}

/// What the zone knows about one name.
public enum LocalMatch: Equatable, Sendable {
    /// The name exists locally with these addresses (host-record, hosts file, published name);
    /// any other type is NODATA.
    case addresses(LocalAddressSet)
    /// The name lies under an address= domain with these addresses; any other type is NODATA.
    /// ANY gets one family, as from dnsmasq: IPv6 when the domain has IPv6 addresses (both for `#`).
    case domainAddresses(LocalAddressSet)
    /// The name is a CNAME to `target`, which is itself local.
    case alias(target: DNSName, ttl: UInt32)
    /// A reverse name (for `address`) with a PTR to `target`.
    case pointer(target: DNSName, address: IPAddress, ttl: UInt32, source: LocalSource)
    /// The name lies in a local-only domain without data: NXDOMAIN, never forwarded.
    case nxdomain
    /// The name lies in a local-only domain and has local records below it but none of its own
    /// (`home.test` under `local=/home.test/` with `host-record=nas.home.test,…`): NOERROR without
    /// records. NXDOMAIN would tell a caching resolver that nothing below it exists (RFC 8020).
    case emptyNonTerminal
    /// A `bogus-priv` reverse zone (RFC 6303) without local data: NXDOMAIN, never forwarded.
    case privateReverse
    /// Nothing local: the query goes to the forwarder.
    case notLocal
}

public struct LocalZone: Sendable {
    /// Exact names with addresses (host-record, hosts files).
    var exact: [DNSName: LocalAddressSet] = [:]
    /// cname aliases.
    var aliases: [DNSName: (target: DNSName, ttl: UInt32)] = [:]
    /// Reverse names (in-addr.arpa / ip6.arpa) from exact records.
    var pointers: [DNSName: (target: DNSName, address: IPAddress, ttl: UInt32, source: LocalSource)] = [:]
    var published: [DNSName: LocalAddressSet] = [:]
    /// address=, local= and server=/d/ domains.
    var domains: [DNSName: DomainRule] = [:]
    /// Domains named by local=/d/, server=/d/ or address=/d/ (no address) lines, also where an
    /// address= line gives the same domain addresses (dnsmasq keeps both: other types get NOERROR).
    var localOnlyDomains: Set<DNSName> = []
    /// Proper ancestors of exact names and aliases, as dnsmasq's cache.c make_non_terminals
    /// records them: such a name exists (RFC 8020) though it has no records of its own.
    var nonTerminals: Set<DNSName> = []
    /// The same for proxy-published names (replaced with them).
    var publishedNonTerminals: Set<DNSName> = []

    enum DomainRule: Sendable {
        /// address=/d/ip lines (accumulated).
        case addresses(LocalAddressSet)
        /// local=/d/, server=/d/, address=/d/ (no address): NXDOMAIN.
        case localOnly
        /// A bogus-priv reverse zone: NXDOMAIN.
        case privateReverse
        /// server=/d/ip or server=/d/#: not local, whatever broader rule exists.
        case forward
    }
    /// TTL for published names and address= answers.
    public internal(set) var localTTL: UInt32 = 0

    /// A zone with no data: every name is `.notLocal`.
    public static let empty = LocalZone()

    init() {}

    /// Looks `name` up by the precedence above. Allocation-free: parents are slices.
    public func lookup(_ name: DNSName) -> LocalMatch {
        if let set = exact[name] { return .addresses(set) }
        if let alias = aliases[name] { return .alias(target: alias.target, ttl: alias.ttl) }
        if let pointer = pointers[name] {
            return .pointer(target: pointer.target, address: pointer.address, ttl: pointer.ttl, source: pointer.source)
        }
        if let set = published[name] { return .addresses(set) }
        guard !domains.isEmpty else { return .notLocal }
        var candidate: DNSName? = name
        while let domain = candidate {
            switch domains[domain] {
            case .addresses(let set)?: return .domainAddresses(set)
            case .localOnly?: return isNonTerminal(name) ? .emptyNonTerminal : .nxdomain
            case .privateReverse?: return .privateReverse
            case .forward?: return .notLocal
            case nil: break
            }
            candidate = domain.parent
        }
        return .notLocal
    }

    /// True when `name` has local records below it but none of its own (an empty non-terminal).
    public func isNonTerminal(_ name: DNSName) -> Bool {
        nonTerminals.contains(name) || publishedNonTerminals.contains(name)
    }

    /// True when the nearest local-only domain rule at or above `name` comes before any server=
    /// rule: dnsmasq's search for a server (domain-match.c lookup_domain) ends at a `local=` line
    /// there, and is_local_answer answers itself. address= domains without local= are passed
    /// through, as dnsmasq passes them for a type they have no address of.
    public func inLocalOnlyDomain(_ name: DNSName) -> Bool {
        guard !domains.isEmpty else { return false }
        var candidate: DNSName? = name
        while let domain = candidate {
            if localOnlyDomains.contains(domain) { return true }
            if case .forward? = domains[domain] { return false }
            candidate = domain.parent
        }
        return false
    }

    /// Only explicit exact data (host-record, hosts files, cname): what a CNAME target may resolve to.
    public func lookupExact(_ name: DNSName) -> LocalMatch {
        if let set = exact[name] { return .addresses(set) }
        if let alias = aliases[name] { return .alias(target: alias.target, ttl: alias.ttl) }
        return .notLocal
    }

    /// The same zone with a new set of proxy-published names (the rest is reused, not rebuilt).
    /// Names that have explicit records keep them; names with no address are ignored.
    public func replacingPublishedNames(_ names: [DNSName: [IPAddress]]) -> LocalZone {
        var zone = self
        zone.published = [:]
        zone.publishedNonTerminals = []
        for (name, addresses) in names where !addresses.isEmpty {
            var set = LocalAddressSet(ttl: localTTL, source: .published, inLocalOnlyDomain: inLocalOnlyDomain(name))
            for address in addresses { set.add(address) }
            zone.published[name] = set
            Self.addAncestors(of: name, to: &zone.publishedNonTerminals)
        }
        return zone
    }

    /// Takes `other`'s proxy-published names (a zone rebuilt for new hosts files, same settings).
    mutating func carryPublishedNames(from other: LocalZone) {
        published = other.published
        publishedNonTerminals = other.publishedNonTerminals
    }

    /// Inserts every proper ancestor of `name` except the root.
    static func addAncestors(of name: DNSName, to set: inout Set<DNSName>) {
        var candidate = name.parent
        while let ancestor = candidate, !ancestor.isRoot {
            set.insert(ancestor)
            candidate = ancestor.parent
        }
    }
}
