// Which upstream servers a forwarded name goes to: `server=/domain/ip` lines for their domains (the most
// specific domain wins, as in dnsmasq), the plain `server=ip` lines and the resolv-file's nameservers for
// everything else — or, with `server-tls`, its DNS-over-TLS upstreams alone. Each upstream keeps its own counters and latency histogram for the stats socket.
import Glibc
import Reactor
import Stats

public final class DNSUpstream {
    public let address: SocketAddress
    public let ip: IPAddress
    public let text: String
    public var queries: UInt64 = 0
    public var answers: UInt64 = 0
    public var timeouts: UInt64 = 0
    public var failures: UInt64 = 0  // SERVFAIL/REFUSED answers and socket errors
    public let latency: Histogram
    /// A `server-tls` upstream: what to verify; nil for plain DNS.
    public let tls: DNSTLSServer?
    /// Its connection (DNSTLSChannel), made by the forwarder that owns this upstream.
    var channel: DNSTLSChannel?
    /// TLS connections opened (handshake done) to this upstream.
    public internal(set) var tlsConnections: UInt64 = 0
    /// Why TLS connections failed (connect, handshake, certificate verification, broken with queries on
    /// them), by reason.
    public internal(set) var tlsFailures: [String: UInt64] = [:]
    /// Whether a TLS connection is open now.
    public var tlsOpen: Bool { channel?.isOpen ?? false }

    init?(ip: IPAddress, port: UInt16) {
        guard let a = SocketAddress(host: ip.description, port: port) else { return nil }
        address = a
        self.ip = ip
        text = port == 53 ? ip.description : "\(ip)#\(port)"  // dnsmasq's way of writing a server
        latency = Histogram(name: "dns_upstream_latency_us", labels: [StatsLabel("upstream", text)])
        tls = nil
    }

    /// A DNS-over-TLS upstream, named as it was written (`9.9.9.9@853#dns.quad9.net`).
    init?(tls server: DNSTLSServer) {
        guard let a = SocketAddress(host: server.address.description, port: server.port) else { return nil }
        address = a
        ip = server.address
        text = server.description
        latency = Histogram(name: "dns_upstream_latency_us", labels: [StatsLabel("upstream", text)])
        tls = server
    }
}

public struct DNSUpstreams {
    /// Servers for names no domain line covers, in configuration order (strict-order walks them so).
    public private(set) var defaults: [DNSUpstream] = []
    /// `server=/domain/…` lines: nil target = local only (never forwarded), [] = use the defaults.
    private var byDomain: [(domain: DNSName, servers: [DNSUpstream]?)] = []
    /// Every distinct upstream, for the stats socket.
    public var all: [DNSUpstream] {
        var seen = Set<ObjectIdentifier>()
        return (defaults + byDomain.flatMap { $0.servers ?? [] }).filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    /// `resolvServers`: the nameservers of the resolv-file (empty with `no-resolv`).
    init(settings: DNSSettings, resolvServers: [IPAddress]) {
        var cache: [String: DNSUpstream] = [:]
        func upstream(_ ip: IPAddress, _ port: UInt16) -> DNSUpstream? {
            let key = "\(ip)#\(port)"
            if let u = cache[key] { return u }
            let u = DNSUpstream(ip: ip, port: port)
            cache[key] = u
            return u
        }
        var domainServers: [DNSName: [DNSUpstream]?] = [:]
        var order: [DNSName] = []
        // server-tls: the defaults are the TLS upstreams alone (plain unqualified lines and the resolv-file
        // are refused beside it at load time, DNSOptions.checkTLSOnlyForwarding; skipped here all the same).
        let overTLS = !settings.serverTLS.isEmpty
        var tlsSeen = Set<String>()
        for server in settings.serverTLS where tlsSeen.insert(server.description).inserted {
            if let u = DNSUpstream(tls: server) { defaults.append(u) }
        }
        for line in settings.servers {
            switch line.target {
            case .upstream(let ip, let port):
                guard let u = upstream(ip, port) else { continue }
                if line.domains.isEmpty {
                    if !overTLS { defaults.append(u) }
                } else {
                    for d in line.domains {
                        if domainServers[d] == nil { order.append(d) }
                        var list = domainServers[d].flatMap { $0 } ?? []
                        list.append(u)
                        domainServers[d] = .some(list)
                    }
                }
            case .defaultServers:
                for d in line.domains where domainServers[d] == nil {
                    order.append(d)
                    domainServers[d] = .some([])
                }
            case .localOnly:
                for d in line.domains where domainServers[d] == nil {
                    order.append(d)
                    domainServers[d] = .some(nil)
                }
            }
        }
        if !settings.noResolv && !overTLS {
            for ip in resolvServers { if let u = upstream(ip, 53) { defaults.append(u) } }
        }
        byDomain = order.map { ($0, domainServers[$0] ?? nil) }
    }

    /// The servers for `name`, most specific domain first; empty means "no upstream" (REFUSED).
    func servers(for name: DNSName) -> [DNSUpstream] {
        var best: (labels: Int, servers: [DNSUpstream]?)? = nil
        for (domain, servers) in byDomain where name == domain || name.isSubdomain(of: domain) {
            if best == nil || domain.labelCount > best!.labels { best = (domain.labelCount, servers) }
        }
        guard let best else { return defaults }
        guard let servers = best.servers else { return [] }
        return servers.isEmpty ? defaults : servers
    }

    /// Nameservers of a resolv.conf text (`nameserver IP` lines; comments and other lines ignored).
    public static func parseResolvConf(_ text: String) -> [IPAddress] {
        var out: [IPAddress] = []
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { continue }
            var host = String(words[1])
            if let pct = host.firstIndex(of: "%") { host = String(host[..<pct]) }  // fe80::1%eth0
            if let ip = IPAddress(host) { out.append(ip) }
        }
        return out
    }

    /// The first domain of the first `search` line (option.c, for `domain=#`: strtok on blanks).
    public static func firstSearchDomain(_ text: String) -> DNSName? {
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard words.count >= 2, words[0] == "search", let name = try? DNSName(text: String(words[1])) else { continue }
            return name
        }
        return nil
    }
}
