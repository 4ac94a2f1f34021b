// The record-carrying options, parsed but not yet assembled into a zone. Each keeps its
// `file:line` so that zone assembly errors (a CNAME to nothing) can point at it.

/// `address=/d1/d2/[ip]`: A/AAAA for each domain and all its subdomains.
/// No addresses means NXDOMAIN for the domains (dnsmasq's `address=/d/`).
public struct DNSAddressRule: Equatable, Sendable {
    public var domains: [DNSName]
    public var addresses: [IPAddress]
    public var location: String
    public init(domains: [DNSName], addresses: [IPAddress], location: String) {
        self.domains = domains
        self.addresses = addresses
        self.location = location
    }
}

/// `host-record=name[,name..],[v4],[v6][,TTL]`: exact names, with PTR for the addresses.
public struct DNSHostRecord: Equatable, Sendable {
    public var names: [DNSName]
    public var addresses: [IPAddress]
    /// nil: use local-ttl.
    public var ttl: UInt32?
    public var location: String
    public init(names: [DNSName], addresses: [IPAddress], ttl: UInt32?, location: String) {
        self.names = names
        self.addresses = addresses
        self.ttl = ttl
        self.location = location
    }
}

/// `cname=alias[,alias..],target[,TTL]`: the target must be locally known.
public struct DNSCNAMERecord: Equatable, Sendable {
    public var aliases: [DNSName]
    public var target: DNSName
    public var ttl: UInt32?
    public var location: String
    public init(aliases: [DNSName], target: DNSName, ttl: UInt32?, location: String) {
        self.aliases = aliases
        self.target = target
        self.ttl = ttl
        self.location = location
    }
}

/// `server=[/d1/d2/]ip[#port]`, `server=/d/` and `local=/d/`.
public struct DNSServerLine: Equatable, Sendable {
    public enum Target: Equatable, Sendable {
        /// Forward to this upstream.
        case upstream(IPAddress, port: UInt16)
        /// `server=/d/` or `local=/d/`: answer from local data only, NXDOMAIN otherwise.
        case localOnly
        /// `server=/d/#`: use the ordinary (non-domain) servers for these domains.
        case defaultServers
    }
    /// Empty: the line applies to every name (a plain upstream).
    public var domains: [DNSName]
    public var target: Target
    public var location: String
    public init(domains: [DNSName], target: Target, location: String) {
        self.domains = domains
        self.target = target
        self.location = location
    }
}
