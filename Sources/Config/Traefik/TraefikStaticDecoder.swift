// Decodes Traefik's static configuration from the generic tree. Every problem is collected (so one run
// shows them all); unknown keys and options stoep ignores are warnings, anything that would make stoep
// behave differently from the configuration (bad address, PROXY protocol, docker constraints) an error.

extension TraefikStaticConfig {
    static let topLevelKeys = ["global", "entryPoints", "providers", "api", "metrics", "accessLog", "log", "serversTransport",
                               "certificatesResolvers", "core", "ping", "tracing", "experimental", "pilot", "hub", "hostResolver",
                               "tcpServersTransport", "spiffe", "ocsp"]
    static let unsupportedTopLevel = ["tracing", "experimental", "pilot", "hub", "hostResolver", "tcpServersTransport", "spiffe", "ocsp"]
    static let otherProviders = ["swarm", "kubernetesCRD", "kubernetesIngress", "kubernetesGateway", "kubernetesIngressNGINX", "consulCatalog",
                                 "nomad", "ecs", "consul", "etcd", "zooKeeper", "redis", "http", "rest", "plugin", "marathon", "rancher"]

    /// Decodes a whole static configuration. The config is usable only when no issue is an `.error`.
    /// `unknownKeysAreErrors`: for flags and environment variables, whose unknown keys Traefik refuses.
    public static func decode(_ table: TOMLTable, unknownKeysAreErrors: Bool = false) -> (TraefikStaticConfig, [ConfigIssue]) {
        var log = TraefikIssueLog()
        log.unknownKeysAreErrors = unknownKeysAreErrors
        let root = TraefikSection(table, path: "", log: &log)
        var config = TraefikStaticConfig()
        root.warnUnknownKeys(allowed: topLevelKeys, log: &log)

        if let global = root.section("global", &log) {
            // checkNewVersion / sendAnonymousUsage: stoep never phones home, so both are moot.
            global.warnUnknownKeys(allowed: ["checkNewVersion", "sendAnonymousUsage"], log: &log)
            _ = global.bool("checkNewVersion", &log)
            _ = global.bool("sendAnonymousUsage", &log)
        }
        for (name, section) in root.section("entryPoints", &log)?.namedSections(&log) ?? [] {
            if let entryPoint = TraefikEntryPoint.decode(name: name, section, log: &log) { config.entryPoints.append(entryPoint) }
        }
        if let providers = root.section("providers", &log) { config.providers = decodeProviders(providers, log: &log) }
        if let api = root.section("api", &log) {
            api.warnUnknownKeys(allowed: ["dashboard", "insecure", "debug", "basePath", "disableDashboardAd"], log: &log)
            var decoded = TraefikAPI()
            decoded.dashboard = api.bool("dashboard", &log) ?? true
            decoded.insecure = api.bool("insecure", &log) ?? false
            decoded.debug = api.bool("debug", &log) ?? false
            decoded.basePath = api.string("basePath", &log) ?? "/"
            _ = api.bool("disableDashboardAd", &log)
            config.api = decoded
        }
        if root.has("ping") && !root.isDisabled("ping") {
            var ping = TraefikPing()
            // `ping = {}`, `ping = true` or `--ping` enable it with the defaults, as Traefik's parser does.
            if let section = root.section("ping", &log) {
                section.warnUnknownKeys(allowed: ["entryPoint", "manualRouting", "terminatingStatusCode"], log: &log)
                ping.entryPoint = section.string("entryPoint", &log) ?? ping.entryPoint
                ping.manualRouting = section.bool("manualRouting", &log) ?? false
                ping.terminatingStatusCode = Int(section.integer("terminatingStatusCode", in: 100...599, &log) ?? 503)
            }
            config.ping = ping
        }
        if let metrics = root.section("metrics", &log) { config.prometheus = decodeMetrics(metrics, log: &log) }
        if let accessLog = root.section("accessLog", &log) { config.accessLog = decodeAccessLog(accessLog, log: &log) }
        if let section = root.section("log", &log) { config.log = decodeLog(section, log: &log) }
        if let transport = root.section("serversTransport", &log) {
            config.serversTransport = TraefikServersTransport.decode(name: "", transport, log: &log)
        }
        for (name, section) in root.section("certificatesResolvers", &log)?.namedSections(&log) ?? [] {
            if let resolver = TraefikCertificatesResolver.decode(name: name, section, log: &log) { config.certificatesResolvers[name] = resolver }
        }
        if let core = root.section("core", &log) {
            core.warnUnknownKeys(allowed: ["defaultRuleSyntax"], log: &log)
            if let syntax = core.string("defaultRuleSyntax", &log) {
                if let parsed = TraefikRuleSyntax(rawValue: syntax.lowercased()) {
                    config.defaultRuleSyntax = parsed
                } else {
                    log.error(core.node("defaultRuleSyntax")?.location ?? core.location, core.path("defaultRuleSyntax"), "expected \"v3\" or \"v2\", found \"\(syntax)\"")
                }
            }
        }
        for key in unsupportedTopLevel where root.has(key) {
            log.warning(root.node(key)?.location ?? root.location, root.writtenKey(key), "not supported by stoep; ignored")
        }
        return (config, log.issues)
    }

    private static func decodeProviders(_ providers: TraefikSection, log: inout TraefikIssueLog) -> TraefikProviders {
        providers.warnUnknownKeys(allowed: ["file", "docker", "providersThrottleDuration"] + otherProviders, log: &log)
        var result = TraefikProviders()
        result.throttleDuration = providers.duration("providersThrottleDuration", &log) ?? result.throttleDuration
        if let file = providers.section("file", &log) {
            file.warnUnknownKeys(allowed: ["filename", "directory", "watch", "debugLogGeneratedTemplate"], log: &log)
            let provider = TraefikFileProvider(filename: file.string("filename", &log), directory: file.string("directory", &log), watch: file.bool("watch", &log) ?? true)
            if (provider.filename == nil) == (provider.directory == nil) {
                log.error(file.location, file.path, "expected exactly one of filename and directory")
            }
            result.file = provider
        }
        if let docker = providers.section("docker", &log) { result.docker = TraefikDockerProvider.decode(docker, log: &log) }
        for key in otherProviders where providers.has(key) {
            log.warning(providers.node(key)?.location ?? providers.location, providers.path(providers.writtenKey(key)), "provider not supported by stoep; ignored")
        }
        return result
    }

    private static func decodeMetrics(_ metrics: TraefikSection, log: inout TraefikIssueLog) -> TraefikPrometheus? {
        metrics.warnUnknownKeys(allowed: ["prometheus", "addInternals", "datadog", "statsD", "influxDB2", "otlp"], log: &log)
        for key in ["datadog", "statsD", "influxDB2", "otlp"] where metrics.has(key) {
            log.warning(metrics.node(key)?.location ?? metrics.location, metrics.path(metrics.writtenKey(key)), "only Prometheus metrics are supported by stoep; ignored")
        }
        _ = metrics.bool("addInternals", &log)
        guard let prometheus = metrics.section("prometheus", &log) else { return nil }
        prometheus.warnUnknownKeys(allowed: ["buckets", "addEntryPointsLabels", "addServicesLabels", "addRoutersLabels", "entryPoint", "manualRouting",
                                             "headerLabels"], log: &log)
        var result = TraefikPrometheus()
        if let node = prometheus.node("buckets") {
            var buckets: [Double] = []
            if case .array(let elements) = node.value {
                for (index, element) in elements.enumerated() {
                    if let bucket = TraefikSection.number(element, "\(prometheus.path("buckets"))[\(index)]", &log) { buckets.append(bucket) }
                }
            } else {
                for (index, text) in (prometheus.strings("buckets", &log) ?? []).enumerated() {
                    let element = TOMLNode(value: .string(text), location: node.location)
                    if let bucket = TraefikSection.number(element, "\(prometheus.path("buckets"))[\(index)]", &log) { buckets.append(bucket) }
                }
            }
            if zip(buckets, buckets.dropFirst()).contains(where: { $0 >= $1 }) {
                log.error(node.location, prometheus.path("buckets"), "buckets must be strictly increasing")
            }
            result.buckets = buckets
        }
        result.addEntryPointsLabels = prometheus.bool("addEntryPointsLabels", &log) ?? true
        result.addServicesLabels = prometheus.bool("addServicesLabels", &log) ?? true
        result.addRoutersLabels = prometheus.bool("addRoutersLabels", &log) ?? false
        result.entryPoint = prometheus.string("entryPoint", &log) ?? result.entryPoint
        result.manualRouting = prometheus.bool("manualRouting", &log) ?? false
        if let labels = prometheus.node("headerLabels") {
            log.warning(labels.location, prometheus.path(prometheus.writtenKey("headerLabels")), "header labels are not supported by stoep; ignored")
        }
        return result
    }

    private static func decodeAccessLog(_ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikAccessLog {
        section.warnUnknownKeys(allowed: ["filePath", "format", "bufferingSize", "fields", "filters", "addInternals"], log: &log)
        var accessLog = TraefikAccessLog()
        accessLog.filePath = section.string("filePath", &log).flatMap { $0.isEmpty ? nil : $0 }
        if let format = section.string("format", &log) {
            if let parsed = TraefikAccessLog.Format(rawValue: format) {
                accessLog.format = parsed
            } else {
                log.error(section.node("format")?.location ?? section.location, section.path("format"), "expected \"common\", \"json\" or \"genericCLF\", found \"\(format)\"")
            }
        }
        accessLog.bufferingSize = section.integer("bufferingSize", in: 0...1_000_000, &log) ?? 0
        if let fields = section.node("fields") {
            if case .table(let table) = fields.value { accessLog.fields = table } else {
                log.error(fields.location, section.path("fields"), "expected a table, found \(TraefikSection.describe(fields.value))")
            }
        }
        // Not applied yet, so refused: filters would log every request where Traefik logs a few, fields would
        // keep, drop or redact other fields than configured (Traefik's pkg/middlewares/accesslog).
        if let filters = section.node("filters") {
            log.error(filters.location, section.path(section.writtenKey("filters")), "access log filters are not supported by stoep (every request would be logged)")
        }
        if let fields = section.node("fields") {
            log.error(fields.location, section.path(section.writtenKey("fields")), "access log fields (defaultMode, names, headers) are not supported by stoep (the fields would not be kept, dropped or redacted as configured)")
        }
        _ = section.bool("addInternals", &log)
        return accessLog
    }

    private static func decodeLog(_ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikLog {
        section.warnUnknownKeys(allowed: ["level", "filePath", "format", "noColor", "maxSize", "maxAge", "maxBackups", "compress"], log: &log)
        var result = TraefikLog()
        if let level = section.string("level", &log) {
            if TraefikLog.levels.contains(level.uppercased()) { result.level = level.uppercased() } else {
                log.error(section.node("level")?.location ?? section.location, section.path("level"), "expected one of \(TraefikLog.levels.joined(separator: ", ")), found \"\(level)\"")
            }
        }
        result.filePath = section.string("filePath", &log).flatMap { $0.isEmpty ? nil : $0 }
        if let format = section.string("format", &log) {
            if ["common", "json"].contains(format) { result.format = format } else {
                log.error(section.node("format")?.location ?? section.location, section.path("format"), "expected \"common\" or \"json\", found \"\(format)\"")
            }
        }
        for key in ["noColor", "maxSize", "maxAge", "maxBackups", "compress"] where section.has(key) {
            log.warning(section.node(key)?.location ?? section.location, section.path(section.writtenKey(key)), "not supported by stoep; ignored")
        }
        return result
    }
}
