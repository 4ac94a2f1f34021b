// stoep's configuration model: what one TOML file (or the embedded default) asks stoep to run.
// Built and validated by ConfigLoader; every field here has already been checked.

public struct StoepConfig: Sendable {
    /// Which event backend to use; `auto` probes io_uring and falls back to epoll.
    public enum Backend: String, Sendable, CaseIterable {
        case auto
        case ioUring = "io_uring"
        case epoll
    }

    /// "embedded default", or the path (or file name) the text was read from.
    public var source: String
    public var backend: Backend
    /// User to switch to after binding sockets; nil keeps the current user.
    public var user: String?
    /// `group = "name"`: the primary group after the drop (dnsmasq's group=); nil: the user's own.
    public var group: String?
    /// `groups = ["docker"]`: supplementary groups kept beside the user's own (docs/security.md).
    public var groups: [String]
    public var stats: StatsConfig
    /// `workers`: how many processes serve (nil: not written; one, or the profile's).
    public var workers: WorkerCount?
    /// `worker-cpu-affinity = true`: worker i runs on CPU i modulo the online CPUs.
    public var workerCPUAffinity = false
    /// Raw TCP forwarders, in file order.
    public var forwards: [ForwardConfig]
    /// dnsmasq options from `[dns]`, in file order; nil when there is no `[dns]` table (no DNS server).
    public var dns: [DNSOption]?
    /// Traefik static-configuration entry points (`[entryPoints.NAME]`), in file order.
    public var entryPoints: [EntryPointConfig]
    /// Traefik dynamic configuration and providers, kept raw for the proxy and discovery to read.
    public var http: TOMLTable?
    public var tcp: TOMLTable?
    public var udp: TOMLTable?
    public var providers: TOMLTable?
    /// `[certificatesResolvers.NAME]`: Traefik's `acme` keys or stoep's `localCA`, decoded by the static decoder.
    public var certificatesResolvers: TOMLTable?
    /// The whole parsed document.
    public var raw: TOMLTable

    public init(source: String, raw: TOMLTable) {
        self.source = source
        self.backend = .auto
        self.user = nil
        self.group = nil
        self.groups = []
        self.stats = StatsConfig()
        self.forwards = []
        self.dns = nil
        self.entryPoints = []
        self.raw = raw
    }
}

/// `[stats]`: the stats unix socket.
public struct StatsConfig: Sendable, Equatable {
    /// Path of the stats unix socket; nil means no socket.
    public var socket: String?
    /// Where `[stats]` was written; nil when absent.
    public var location: SourceLocation?

    public init(socket: String? = nil, location: SourceLocation? = nil) {
        self.socket = socket
        self.location = location
    }
}

/// One `[[forward]]`: accept TCP on `listen`, connect to `upstream`, relay bytes both ways.
public struct ForwardConfig: Sendable, Equatable {
    public static let defaultConnectTimeout = 5.0
    public static let defaultIdleTimeout = 300.0

    /// From `name`, or "forward-<n>" (n counts [[forward]] tables from 1).
    public var name: String
    public var listen: HostPort
    public var upstream: HostPort
    /// Seconds allowed for the upstream connect.
    public var connectTimeout: Double
    /// Seconds without traffic in either direction before the pair is closed.
    public var idleTimeout: Double
    /// The `[[forward]]` header.
    public var location: SourceLocation

    public init(name: String, listen: HostPort, upstream: HostPort, connectTimeout: Double = defaultConnectTimeout,
                idleTimeout: Double = defaultIdleTimeout, location: SourceLocation) {
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.location = location
    }
}

/// `[entryPoints.NAME]` from Traefik's static configuration: the address is parsed, the rest kept raw.
public struct EntryPointConfig: Sendable, Equatable {
    /// Traefik's optional `/tcp` or `/udp` address suffix; TCP when absent.
    public enum Transport: String, Sendable {
        case tcp, udp
    }

    public var name: String
    public var address: HostPort
    public var transport: Transport
    public var location: SourceLocation
    /// The whole table, including keys stoep does not interpret (yet).
    public var raw: TOMLTable

    public init(name: String, address: HostPort, transport: Transport = .tcp, location: SourceLocation, raw: TOMLTable) {
        self.name = name
        self.address = address
        self.transport = transport
        self.location = location
        self.raw = raw
    }

    /// Traefik's address forms: `:80`, `127.0.0.1:8080`, `[::1]:80`, each optionally followed by `/tcp`
    /// or `/udp` (either case). Host names are refused as for HostPort.
    public static func parseAddress(_ text: String) -> (address: HostPort, transport: Transport)? {
        var hostPort = Substring(text)
        var transport = Transport.tcp
        if let slash = text.lastIndex(of: "/") {
            guard let parsed = Transport(rawValue: text[text.index(after: slash)...].lowercased()) else { return nil }
            transport = parsed
            hostPort = text[..<slash]
        }
        return HostPort.parse(String(hostPort)).map { ($0, transport) }
    }
}
