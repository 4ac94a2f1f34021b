// `observability` of an entry point or an HTTP router (accessLogs, metrics, tracing, traceVerbosity).
// stoep has no tracing, so `tracing` and `traceVerbosity` change nothing, as in a Traefik without a tracing
// backend. Turning access logs or metrics off for one router or entry point is not implemented: refused,
// since every request would still be logged and counted.

enum TraefikObservabilityOptions {
    static func check(_ section: TraefikSection, log: inout TraefikIssueLog) {
        section.warnUnknownKeys(allowed: ["accessLogs", "metrics", "tracing", "traceVerbosity"], log: &log)
        for key in ["accessLogs", "metrics"] where section.bool(key, &log) == false {
            log.error(section.node(key)?.location ?? section.location, section.path(section.writtenKey(key)),
                      "turning \(key == "accessLogs" ? "access logs" : "metrics") off here is not supported by stoep (these requests would still be \(key == "accessLogs" ? "logged" : "counted"))")
        }
        _ = section.bool("tracing", &log)
        if let verbosity = section.string("traceVerbosity", &log), !["minimal", "detailed"].contains(verbosity) {
            log.error(section.node("traceVerbosity")?.location ?? section.location, section.path(section.writtenKey("traceVerbosity")),
                      "expected \"minimal\" or \"detailed\", found \"\(verbosity)\"")
        }
    }
}
