// Local DNS data, immutable once built: the responder holds one value and a reload or a
// proxy update swaps in a new one whole. Lookup precedence, highest first:
//   1. explicit exact records: host-record, hosts files, cname aliases (and their PTRs);
//   2. names published by the proxy (exact names);
//   3. domain rules from address=, local=/d/ and server=/d/… — the most specific domain
//      wins, matched on label boundaries (`/d/` covers `x.y.d`, not `xd`). A server=/d/ip
//      line under a broader address= domain sends its names upstream, as in dnsmasq; for the
//      same domain, address= wins.

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

    public init(v4: [IPv4Address] = [], v6: [IPv6Address] = [], ttl: UInt32, source: LocalSource) {
        self.v4 = v4
        self.v6 = v6
        self.ttl = ttl
        self.source = source
    }

    mutating func add(_ address: IPAddress) {
        switch address {
        case .v4(let a): if !v4.contains(a) { v4.append(a) }
        case .v6(let a): if !v6.contains(a) { v6.append(a) }
        }
    }
}

/// What the zone knows about one name.
public enum LocalMatch: Equatable, Sendable {
    /// The name exists locally with these addresses (any other type is NODATA).
    case addresses(LocalAddressSet)
    /// The name is a CNAME to `target`, which is itself local.
    case alias(target: DNSName, ttl: UInt32)
    /// A reverse name (for `address`) with a PTR to `target`.
    case pointer(target: DNSName, address: IPAddress, ttl: UInt32, source: LocalSource)
    /// The name lies in a local-only domain without data: NXDOMAIN, never forwarded.
    case nxdomain
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

    enum DomainRule: Sendable {
        /// address=/d/ip lines (accumulated).
        case addresses(LocalAddressSet)
        /// local=/d/, server=/d/, address=/d/ (no address), bogus-priv zones: NXDOMAIN.
        case localOnly
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
            case .addresses(let set)?: return .addresses(set)
            case .localOnly?: return .nxdomain
            case .forward?: return .notLocal
            case nil: break
            }
            candidate = domain.parent
        }
        return .notLocal
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
        for (name, addresses) in names where !addresses.isEmpty {
            var set = LocalAddressSet(ttl: localTTL, source: .published)
            for address in addresses { set.add(address) }
            zone.published[name] = set
        }
        return zone
    }
}
