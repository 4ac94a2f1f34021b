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
    /// `providers.swarm` (Traefik v3): Swarm services' labels, polled.
    public var swarm: TraefikDockerProvider?
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
    /// `metrics.addInternals`: requests to …@internal services are counted too.
    public var addInternals = false

    public init() {}
}

public struct TraefikAccessLog: Sendable, Equatable {
    public enum Format: String, Sendable, Hashable {
        case common, json, genericCLF
    }

    /// nil = standard output.
    public var filePath: String?
    public var format = Format.common
    /// Traefik's channel length before lines are written by another goroutine; stoep always buffers lines
    /// and writes them once per loop turn, so the value changes nothing a reader of the log sees.
    public var bufferingSize: Int64 = 0
    /// Log requests whose router's service is `…@internal` (api, ping, noop, prometheus) too.
    public var addInternals = false
    public var fields = TraefikAccessLogFields()
    /// nil = every request is logged.
    public var filters: TraefikAccessLogFilters?

    public init() {}
}

/// `accessLog.fields`, with Traefik's defaults (fields kept, headers dropped, query kept). Modes are kept
/// as written: Traefik treats a value other than keep/drop(/redact) as the default, and so does stoep.
public struct TraefikAccessLogFields: Sendable, Equatable {
    public var defaultMode = "keep"
    /// Field name lowercased → mode (Traefik lowercases both sides).
    public var names: [String: String] = [:]
    public var headersDefaultMode = "drop"
    /// Go canonical header name ("User-Agent") → mode.
    public var headerNames: [String: String] = [:]
    public var queryParametersDefaultMode = "keep"

    public init() {}

    /// Traefik's AccessLogFields.Keep: `field` lowercased.
    public func keep(_ field: String) -> Bool {
        let base = Self.check(defaultMode, true)
        if let mode = names[field] { return Self.check(mode, base) }
        return base
    }

    /// Traefik's KeepHeader: "keep", "drop" or "redact" for a canonical header name.
    public func headerMode(_ canonicalName: String) -> String {
        let base = ["keep", "drop", "redact"].contains(headersDefaultMode) ? headersDefaultMode : "keep"
        if let mode = headerNames[canonicalName], ["keep", "drop", "redact"].contains(mode) { return mode }
        return base
    }

    /// Whether any header can be written (so the proxy must collect them).
    public var logsHeaders: Bool { headerMode("") != "drop" || headerNames.values.contains { $0 == "keep" || $0 == "redact" } }

    public var keepsQueryParameters: Bool { Self.check(queryParametersDefaultMode, true) }

    private static func check(_ mode: String, _ fallback: Bool) -> Bool {
        switch mode {
        case "keep": return true
        case "drop": return false
        default: return fallback
        }
    }
}

/// `accessLog.filters`: a line is written when any configured filter matches (Traefik's keepAccessLog).
public struct TraefikAccessLogFilters: Sendable, Equatable {
    /// Inclusive ranges.
    public var statusCodes: [ClosedRange<Int>] = []
    public var retryAttempts = false
    /// Nanoseconds; 0 = not set. A request is kept when it took strictly longer.
    public var minDuration: UInt64 = 0

    public init() {}

    public func keeps(status: Int, retryAttempts retries: Int, duration: UInt64) -> Bool {
        if statusCodes.isEmpty && !retryAttempts && minDuration == 0 { return true }
        if statusCodes.contains(where: { $0.contains(status) }) { return true }
        if retryAttempts && retries > 0 { return true }
        if minDuration > 0 && duration > minDuration { return true }
        return false
    }
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
