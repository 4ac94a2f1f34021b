// Traefik's static configuration (what `traefik.toml` / `traefik.yml` holds): entry points, providers,
// observability, the default servers transport and ACME resolvers. Defaults are Traefik 3's. Unlike the
// dynamic configuration this is all-or-nothing: the caller refuses to start on any `.error` issue.

public struct TraefikStaticConfig: Sendable, Equatable {
    /// In source order.
    public var entryPoints: [TraefikEntryPoint] = []
    public var providers = TraefikProviders()
    /// nil = no `[api]` section (no dashboard, no api@internal).
    public var api: TraefikAPI?
    /// nil = no `[metrics.prometheus]`.
    public var prometheus: TraefikPrometheus?
    /// nil = no `[ping]` (no ping@internal).
    public var ping: TraefikPing?
    /// nil = no access log.
    public var accessLog: TraefikAccessLog?
    public var log = TraefikLog()
    /// The default transport to servers (name "", maxIdleConnsPerHost 200).
    public var serversTransport = TraefikServersTransport(name: "", maxIdleConnsPerHost: TraefikServersTransport.staticMaxIdleConnsPerHost)
    /// By resolver name (referenced by routers' `tls.certResolver`).
    public var certificatesResolvers: [String: TraefikCertificatesResolver] = [:]
    /// `core.defaultRuleSyntax`.
    public var defaultRuleSyntax = TraefikRuleSyntax.v3

    public init() {}

    public func entryPoint(named name: String) -> TraefikEntryPoint? { entryPoints.first { $0.name == name } }
}

public struct TraefikProviders: Sendable, Hashable {
    public var file: TraefikFileProvider?
    public var docker: TraefikDockerProvider?
    /// `providersThrottleDuration`: how long to wait after a change before applying it (default 2s).
    public var throttleDuration = TraefikDuration.seconds(2)

    public init() {}
}

/// `providers.file`: exactly one of `filename` and `directory`.
public struct TraefikFileProvider: Sendable, Hashable {
    public var filename: String?
    public var directory: String?
    /// Reload on change (Traefik default true).
    public var watch: Bool

    public init(filename: String? = nil, directory: String? = nil, watch: Bool = true) {
        self.filename = filename
        self.directory = directory
        self.watch = watch
    }
}

public struct TraefikAPI: Sendable, Hashable {
    /// Traefik default true once `[api]` exists.
    public var dashboard = true
    /// Serve api@internal on the `traefik` entry point without a router.
    public var insecure = false
    public var debug = false
    public var basePath = "/"

    public init() {}
}

/// `[ping]`: ping@internal, a health answer for load balancers and container health checks.
public struct TraefikPing: Sendable, Hashable {
    /// Where Traefik's own `/ping` router lives (default "traefik").
    public var entryPoint = "traefik"
    /// true = reachable only through a user router naming ping@internal.
    public var manualRouting = false
    /// The status answered once shutdown has begun (default 503), so a balancer stops sending.
    public var terminatingStatusCode = 503

    public init() {}
}

public struct TraefikPrometheus: Sendable, Hashable {
    public var buckets: [Double] = [0.1, 0.3, 1.2, 5.0]
    public var addEntryPointsLabels = true
    public var addServicesLabels = true
    public var addRoutersLabels = false
    /// Entry point serving /metrics (unless manualRouting).
    public var entryPoint = "traefik"
    /// true = expose only through a user router to prometheus@internal.
    public var manualRouting = false

    public init() {}
}

public struct TraefikAccessLog: Sendable, Equatable {
    public enum Format: String, Sendable, Hashable {
        case common, json, genericCLF
    }

    /// nil = standard output.
    public var filePath: String?
    public var format = Format.common
    /// Lines buffered before writing; 0 = unbuffered.
    public var bufferingSize: Int64 = 0
    /// `fields` (defaultMode, names, headers), kept raw for the access logger.
    public var fields: TOMLTable?

    public init() {}
}

public struct TraefikLog: Sendable, Hashable {
    public static let levels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "PANIC"]

    /// Upper-cased, one of `levels`; Traefik default ERROR.
    public var level = "ERROR"
    /// nil = standard output.
    public var filePath: String?
    /// "common" or "json".
    public var format = "common"

    public init() {}
}
