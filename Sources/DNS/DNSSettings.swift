// Typed DNS settings, built from dnsmasq options by DNSOptionsParser. Defaults are
// dnsmasq 2.90's (man dnsmasq, config.h), noted per field.

public struct DNSSettings: Equatable, Sendable {
    public enum QueryLogging: String, Equatable, Sendable {
        case off, on, extra, proto
    }

    /// `port`: 53. 0 disables DNS (as in dnsmasq).
    public var port: UInt16 = 53
    /// `listen-address`, in order.
    public var listenAddresses: [IPAddress] = []
    /// `interface`, in order.
    public var interfaces: [String] = []
    public var bindInterfaces = false
    /// `no-hosts`: do not read /etc/hosts.
    public var noHosts = false
    /// `addn-hosts`: extra hosts files, in order.
    public var additionalHostsFiles: [String] = []
    /// `hostsdir`: directories whose every file is a hosts file, watched for new and changed files.
    public var hostsDirectories: [String] = []
    /// `expand-hosts`: dotless hosts-file names also answer as name.domain (`domain=`).
    public var expandHosts = false
    /// `domain=` lines: the domain expand-hosts appends, per address.
    public var hostsDomains = DNSHostsDomains()
    public var addressRules: [DNSAddressRule] = []
    public var hostRecords: [DNSHostRecord] = []
    public var cnames: [DNSCNAMERecord] = []
    /// `server=` and `local=` lines in order (local-only ones included).
    public var servers: [DNSServerLine] = []
    public var domainNeeded = false
    public var bogusPriv = false
    /// `local-ttl`: 0.
    public var localTTL: UInt32 = 0
    public var noResolv = false
    /// `resolv-file`: /etc/resolv.conf.
    public var resolvFile = "/etc/resolv.conf"
    public var strictOrder = false
    public var allServers = false
    /// `cache-size`: 150; 0 disables the cache.
    public var cacheSize = 150
    /// `neg-ttl`: unset — negative replies without SOA are not cached.
    public var negativeTTL: UInt32? = nil
    /// `min-cache-ttl`: 0, clamped to 3600 like dnsmasq (TTL_FLOOR_LIMIT).
    public var minCacheTTL: UInt32 = 0
    /// `max-cache-ttl`: unset (upstream TTLs are used as they are).
    public var maxCacheTTL: UInt32? = nil
    /// `dns-forward-max`: 150 queries in flight.
    public var dnsForwardMax = 150
    /// `edns-packet-max`: 1232 (dnsmasq ≥2.90); the largest UDP answer we send or advertise.
    public var ednsPacketMax = 1232
    /// How long one upstream server gets before the query moves to the next (ms). dnsmasq has no such
    /// deadline unless `fast-dns-retry` is given; stoep always has one (1 s), and `fast-dns-retry=MS`
    /// sets it.
    public var upstreamTimeoutMilliseconds = 1000
    public var logQueries: QueryLogging = .off
    /// `log-facility`: a syslog facility name or a file path; nil = default (DAEMON).
    public var logFacility: String? = nil

    // stoep's own keys ([dns] of stoep's TOML only; docs/dns.md, "Blocklists").
    /// `blocklists`: hosts-format, plain or `||d^` files whose names are answered as blocked.
    public var blocklists: [String] = []
    /// `allowlists`: names (and `||d^` domains) never blocked, whatever the blocklists say.
    public var allowlists: [String] = []
    /// `block-mode`: Pi-hole's default NULL (0.0.0.0 / ::, NODATA for other types) or NXDOMAIN.
    public var blockMode: BlockMode = .null
    /// `block-ttl`: the TTL of blocked answers' records; Pi-hole's `dns.blockTTL` default, 2 s.
    public var blockTTL: UInt32 = 2
    /// `server-tls` (docs/dns.md, "DNS over TLS upstreams"): DNS-over-TLS upstreams, in order. When any is
    /// given, names no `server=/domain/` line covers go over TLS only: plain unqualified `server=` lines and
    /// `resolv-file` are refused beside it and the resolv-file is not read (no fallback to plaintext).
    public var serverTLS: [DNSTLSServer] = []
    /// `server-tls-ca`: PEM bundles trusted for `server-tls` besides the system store.
    public var serverTLSCA: [String] = []

    /// `local-service[=net|host]` as given (nil: not given). stoep applies `net` unless `listen-address` or
    /// `interface` lines are given — see `effectiveLocalService`.
    public var localService: LocalService? = nil
    /// `rate-limit` (stoep key, Pi-hole's dns.rateLimit): queries per client per interval; 0/0 disables.
    public var rateLimitCount: UInt32 = 1000
    public var rateLimitIntervalSeconds: UInt32 = 60

    public enum LocalService: String, Equatable, Sendable {
        /// Answer clients on the box's own subnets only.
        case net
        /// Listen on loopback and answer the box itself only.
        case host
    }

    /// dnsmasq's rule (dnsmasq.c): `local-service` has no effect when `interface` or `listen-address` lines
    /// say where to serve. stoep: on (`net`) by default, as Debian and OpenWrt start dnsmasq.
    public var effectiveLocalService: LocalService? {
        guard listenAddresses.isEmpty && interfaces.isEmpty else { return nil }
        return localService ?? .net
    }

    public enum BlockMode: String, Equatable, Sendable {
        case null, nxdomain
    }

    public init() {}

    /// Domains answered only from local data (`local=/d/`, `server=/d/`): NXDOMAIN when nothing local matches.
    public var localOnlyDomains: [(domain: DNSName, location: String)] {
        servers.flatMap { line -> [(domain: DNSName, location: String)] in
            guard case .localOnly = line.target else { return [] }
            return line.domains.map { ($0, line.location) }
        }
    }
}
