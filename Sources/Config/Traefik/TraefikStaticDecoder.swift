// Decodes Traefik's static configuration from the generic tree. Every problem is collected (so one run
// shows them all); unknown keys and options stoep ignores are warnings, anything that would make stoep
// behave differently from the configuration (bad address, PROXY protocol, docker constraints) an error.

extension TraefikStaticConfig {
    static let topLevelKeys = ["global", "entryPoints", "providers", "api", "metrics", "accessLog", "log", "serversTransport",
                               "certificatesResolvers", "core", "ping", "tracing", "experimental", "pilot", "hub", "hostResolver",
                               "tcpServersTransport", "spiffe", "ocsp"]
    static let unsupportedTopLevel = ["tracing", "experimental", "pilot", "hub", "hostResolver", "spiffe", "ocsp"]
    static let otherProviders = ["kubernetesCRD", "kubernetesIngress", "kubernetesGateway", "kubernetesIngressNGINX", "consulCatalog",
                                 "nomad", "ecs", "consul", "etcd", "zooKeeper", "redis", "http", "rest", "plugin", "marathon", "rancher", "knative"]

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
            global.warnUnknownKeys(allowed: ["checkNewVersion", "sendAnonymousUsage", "notAppendXForwardedFor"], log: &log)
            _ = global.bool("checkNewVersion", &log)
            _ = global.bool("sendAnonymousUsage", &log)
            if global.bool("notAppendXForwardedFor", &log) == true {
                log.error(global.node("notAppendXForwardedFor")?.location ?? global.location, global.path(global.writtenKey("notAppendXForwardedFor")),
                          "not supported by stoep (it always appends the client's address to X-Forwarded-For)")
            }
        }
        for (name, section) in root.section("entryPoints", &log)?.namedSections(&log) ?? [] {
            if let entryPoint = TraefikEntryPoint.decode(name: name, section, log: &log) { config.entryPoints.append(entryPoint) }
        }
        if let providers = root.section("providers", &log) { config.providers = decodeProviders(providers, log: &log) }
        if let api = root.section("api", &log) {
            api.warnUnknownKeys(allowed: ["dashboard", "insecure", "debug", "basePath", "disableDashboardAd", "dashboardName"], log: &log)
            var decoded = TraefikAPI()
            decoded.dashboard = api.bool("dashboard", &log) ?? true
            decoded.insecure = api.bool("insecure", &log) ?? false
            decoded.debug = api.bool("debug", &log) ?? false
            decoded.basePath = api.string("basePath", &log) ?? "/"
            // stoep's dashboard page shows no advertisement: disableDashboardAd is what it always does.
            _ = api.bool("disableDashboardAd", &log)
            // Options that would change what the API answers, refused rather than left unused.
            if decoded.debug {
                log.error(api.node("debug")?.location ?? api.location, api.path(api.writtenKey("debug")),
                          "not supported by stoep (Traefik's /debug/vars and pprof endpoints are not served)")
            }
            if decoded.basePath != "/" && !decoded.basePath.isEmpty {
                log.error(api.node("basePath")?.location ?? api.location, api.path(api.writtenKey("basePath")),
                          "not supported by stoep (the API and dashboard are served under / only)")
            }
            if api.has("dashboardName") {
                log.error(api.node("dashboardName")?.location ?? api.location, api.path(api.writtenKey("dashboardName")),
                          "not supported by stoep (its dashboard page has no configurable name)")
            }
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
        // The default transport to TCP servers: its dial timeout, keep-alive, termination delay and TLS
        // would change how every TCP service connects, so it is refused rather than ignored.
        if root.has("tcpServersTransport") {
            log.error(root.node("tcpServersTransport")?.location ?? root.location, root.writtenKey("tcpServersTransport"),
                      "not supported by stoep (name a tcp.serversTransports entry on the service instead)")
        }
        // Each of these changes what a client, a server or the operator sees (trace headers to servers,
        // stapled OCSP answers, CNAME flattening, plugins): refused, not ignored.
        for key in unsupportedTopLevel where root.has(key) {
            log.error(root.node(key)?.location ?? root.location, root.writtenKey(key), "not supported by stoep")
        }
        return (config, log.issues)
    }

    private static func decodeProviders(_ providers: TraefikSection, log: inout TraefikIssueLog) -> TraefikProviders {
        providers.warnUnknownKeys(allowed: ["file", "docker", "swarm", "providersThrottleDuration", "precedence"] + otherProviders, log: &log)
        if providers.has("precedence") {
            log.error(providers.node("precedence")?.location ?? providers.location, providers.path(providers.writtenKey("precedence")),
                      "not supported by stoep (it reads only the file, Docker and Swarm providers, with no order between them)")
        }
        var result = TraefikProviders()
        result.throttleDuration = providers.duration("providersThrottleDuration", &log) ?? result.throttleDuration
        // stoep applies a provider's change as soon as it is read (file events are coalesced per loop turn),
        // configured or not; only the timing differs, so a configured wait is warned about, not refused.
        if providers.has("providersThrottleDuration") {
            log.warning(providers.node("providersThrottleDuration")?.location ?? providers.location, providers.path(providers.writtenKey("providersThrottleDuration")),
                        "not applied by stoep; ignored (changes are applied when they are read, without Traefik's wait)")
        }
        if let file = providers.section("file", &log) {
            file.warnUnknownKeys(allowed: ["filename", "directory", "watch", "debugLogGeneratedTemplate"], log: &log)
            let provider = TraefikFileProvider(filename: file.string("filename", &log), directory: file.string("directory", &log), watch: file.bool("watch", &log) ?? true)
            if (provider.filename == nil) == (provider.directory == nil) {
                log.error(file.location, file.path, "expected exactly one of filename and directory")
            }
            result.file = provider
        }
        if let docker = providers.section("docker", &log) { result.docker = TraefikDockerProvider.decode(docker, log: &log) }
        if let swarm = providers.section("swarm", &log) { result.swarm = TraefikDockerProvider.decodeSwarm(swarm, log: &log) }
        for key in otherProviders where providers.has(key) {
            // Its routers would be missing: refused rather than started without them.
            log.error(providers.node(key)?.location ?? providers.location, providers.path(providers.writtenKey(key)), "provider not supported by stoep (only file, docker and swarm)")
        }
        return result
    }

    private static func decodeMetrics(_ metrics: TraefikSection, log: inout TraefikIssueLog) -> TraefikPrometheus? {
        metrics.warnUnknownKeys(allowed: ["prometheus", "addInternals", "datadog", "statsD", "influxDB2", "otlp"], log: &log)
        for key in ["datadog", "statsD", "influxDB2", "otlp"] where metrics.has(key) {
            log.error(metrics.node(key)?.location ?? metrics.location, metrics.path(metrics.writtenKey(key)), "only Prometheus metrics are supported by stoep (nothing would be sent there)")
        }
        let addInternals = metrics.bool("addInternals", &log) ?? false
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
        result.addInternals = addInternals
        if let labels = prometheus.node("headerLabels") {
            log.error(labels.location, prometheus.path(prometheus.writtenKey("headerLabels")), "header labels are not supported by stoep (the series would lack the configured labels)")
        }
        return result
    }

    private static func decodeAccessLog(_ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikAccessLog {
        section.warnUnknownKeys(allowed: ["filePath", "format", "bufferingSize", "fields", "filters", "addInternals", "otlp", "dualOutput"], log: &log)
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
        accessLog.addInternals = section.bool("addInternals", &log) ?? false
        if let fields = section.section("fields", &log) { accessLog.fields = decodeAccessLogFields(fields, log: &log) }
        if let filters = section.section("filters", &log) { accessLog.filters = decodeAccessLogFilters(filters, log: &log) }
        for key in ["otlp", "dualOutput"] where section.has(key) {
            log.error(section.node(key)?.location ?? section.location, section.path(section.writtenKey(key)),
                      "OpenTelemetry access logs are not supported by stoep (the lines would not be exported)")
        }
        return accessLog
    }

    /// `accessLog.fields`: modes as Traefik reads them (names lowercased, header names canonical); a mode
    /// Traefik would quietly treat as the default is warned about.
    private static func decodeAccessLogFields(_ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikAccessLogFields {
        section.warnUnknownKeys(allowed: ["defaultMode", "names", "headers", "queryParameters"], log: &log)
        var fields = TraefikAccessLogFields()
        func mode(_ s: TraefikSection, _ key: String, _ allowed: [String], _ log: inout TraefikIssueLog) -> String? {
            guard let value = s.string(key, &log) else { return nil }
            if !allowed.contains(value) {
                log.warning(s.node(key)?.location ?? s.location, s.path(s.writtenKey(key)),
                            "expected \(allowed.map { "\"\($0)\"" }.joined(separator: " or ")), found \"\(value)\"; Traefik and stoep use the default")
            }
            return value
        }
        fields.defaultMode = mode(section, "defaultMode", ["keep", "drop"], &log) ?? fields.defaultMode
        if let names = section.section("names", &log) {
            for entry in names.entries {
                if let m = mode(names, entry.key, ["keep", "drop"], &log) { fields.names[entry.key.lowercased()] = m }
            }
        }
        if let headers = section.section("headers", &log) {
            headers.warnUnknownKeys(allowed: ["defaultMode", "names"], log: &log)
            fields.headersDefaultMode = mode(headers, "defaultMode", ["keep", "drop", "redact"], &log) ?? fields.headersDefaultMode
            if let names = headers.section("names", &log) {
                for entry in names.entries {
                    if let m = mode(names, entry.key, ["keep", "drop", "redact"], &log) { fields.headerNames[canonicalHeaderName(entry.key)] = m }
                }
            }
        }
        if let query = section.section("queryParameters", &log) {
            query.warnUnknownKeys(allowed: ["defaultMode"], log: &log)
            fields.queryParametersDefaultMode = mode(query, "defaultMode", ["keep", "drop"], &log) ?? fields.queryParametersDefaultMode
        }
        return fields
    }

    /// `accessLog.filters`. A status code range that does not parse is refused (Traefik logs an error and
    /// then drops that filter, logging every status).
    private static func decodeAccessLogFilters(_ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikAccessLogFilters {
        section.warnUnknownKeys(allowed: ["statusCodes", "retryAttempts", "minDuration"], log: &log)
        var filters = TraefikAccessLogFilters()
        for text in section.strings("statusCodes", &log) ?? [] {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            if parts.count <= 2, let low = Int(parts[0]), let high = Int(parts.count == 2 ? parts[1] : parts[0]) {
                // Go's [low, high] with low > high matches nothing; ClosedRange cannot hold it.
                if low <= high { filters.statusCodes.append(low...high) }
            } else {
                log.error(section.node("statusCodes")?.location ?? section.location, section.path(section.writtenKey("statusCodes")),
                          "expected a status code or a range like \"400-499\", found \"\(text)\"")
            }
        }
        filters.retryAttempts = section.bool("retryAttempts", &log) ?? false
        if let d = section.duration("minDuration", &log) { filters.minDuration = UInt64(max(0, d.nanoseconds)) }
        return filters
    }

    /// Go's textproto.CanonicalMIMEHeaderKey: letters after the start and each '-' upper case, the rest
    /// lower; a name with a byte outside a token is kept as written.
    public static func canonicalHeaderName(_ name: String) -> String {
        let token = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        guard name.utf8.allSatisfy({ token.contains($0) }) else { return name }
        var upper = true
        return String(decoding: name.utf8.map { b -> UInt8 in
            defer { upper = b == UInt8(ascii: "-") }
            if upper, b >= 97, b <= 122 { return b - 32 }
            if !upper, b >= 65, b <= 90 { return b + 32 }
            return b
        }, as: UTF8.self)
    }

    private static func decodeLog(_ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikLog {
        section.warnUnknownKeys(allowed: ["level", "filePath", "format", "noColor", "maxSize", "maxAge", "maxBackups", "compress", "otlp"], log: &log)
        if let otlp = section.node("otlp") {
            log.error(otlp.location, section.path(section.writtenKey("otlp")), "OpenTelemetry logs are not supported by stoep (the lines would not be exported)")
        }
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
        // Colours change nothing in a file or a journal; rotation would leave a file growing without bound.
        if section.has("noColor") {
            log.warning(section.node("noColor")?.location ?? section.location, section.path(section.writtenKey("noColor")), "not supported by stoep; ignored")
        }
        for key in ["maxSize", "maxAge", "maxBackups", "compress"] where section.has(key) {
            log.error(section.node(key)?.location ?? section.location, section.path(section.writtenKey(key)),
                      "log rotation is not supported by stoep (rotate with logrotate and SIGUSR1)")
        }
        return result
    }
}
