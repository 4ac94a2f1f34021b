// The API's documents with Traefik's field names and order (pkg/api handler_http.go, handler_tcp.go,
// handler_entrypoint.go; checked against Traefik 3.7's output for the same file-provider configuration):
// a router is its dynamic configuration (entryPoints, middlewares, service, rule, priority, tls) followed
// by the runtime fields (error, status, using, name, provider); a service adds usedBy and serverStatus.
import Config
import JSON

enum APIJSON {
    static func router(_ r: APIRouter, _ w: inout JSONWriter) {
        w.beginObject()
        strings("entryPoints", r.entryPoints, &w)
        if !r.middlewares.isEmpty { strings("middlewares", r.middlewares, &w) }
        w.field("service", r.service)
        w.field("rule", r.rule)
        if let s = r.ruleSyntax { w.field("ruleSyntax", s) }
        w.field("priority", r.priority)
        if let tls = r.tls { routerTLS(tls, &w) }
        if !r.isTCP {
            w.key("observability")
            w.raw(#"{"accessLogs":true,"metrics":true,"tracing":true,"traceVerbosity":"minimal"}"#)
        }
        if !r.errors.isEmpty { strings("error", r.errors, &w) }
        w.field("status", r.status)
        strings("using", r.using, &w)
        w.field("name", r.name)
        w.field("provider", r.provider)
        w.field("priorityStr", String(r.priority))
        w.endObject()
    }

    private static func routerTLS(_ tls: TraefikRouterTLS, _ w: inout JSONWriter) {
        w.key("tls")
        w.beginObject()
        if tls.passthrough { w.field("passthrough", true) }
        if let o = tls.options { w.field("options", o) }
        if let c = tls.certResolver { w.field("certResolver", c) }
        if !tls.domains.isEmpty {
            w.key("domains")
            w.beginArray()
            for d in tls.domains {
                w.beginObject()
                w.field("main", d.main)
                if !d.sans.isEmpty { strings("sans", d.sans, &w) }
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
    }

    /// `health(url)`: "UP" or "DOWN" from the installed balancer; nil when the service is not installed.
    static func service(_ s: APIService, health: (String) -> String?, _ w: inout JSONWriter) {
        w.beginObject()
        var type: String? = nil
        var servers: [String] = []
        switch s.kind {
        case .internalService: break
        case .loadBalancer(let lb):
            type = "loadbalancer"
            servers = lb.servers.map(\.url)
            w.key("loadBalancer")
            w.beginObject()
            w.key("servers")
            w.beginArray()
            for server in lb.servers {
                w.beginObject()
                w.field("url", server.url)
                if server.weight != 1 { w.field("weight", server.weight) }
                w.endObject()
            }
            w.endArray()
            w.field("strategy", lb.strategy.rawValue)
            if let hc = lb.healthCheck {
                w.key("healthCheck")
                w.beginObject()
                w.field("mode", "http")
                if let scheme = hc.scheme { w.field("scheme", scheme) }
                w.field("path", hc.path)
                if let host = hc.hostname { w.field("hostname", host) }
                if let port = hc.port { w.field("port", port) }
                w.field("interval", goDuration(hc.interval.nanoseconds))
                w.field("timeout", goDuration(hc.timeout.nanoseconds))
                w.field("followRedirects", hc.followRedirects)
                w.endObject()
            }
            w.field("passHostHeader", lb.passHostHeader)
            w.key("responseForwarding")
            w.beginObject()
            w.field("flushInterval", goDuration(lb.flushInterval.nanoseconds))
            w.endObject()
            if let t = lb.serversTransport { w.field("serversTransport", t) }
            w.endObject()
        case .weighted(let services):
            type = "weighted"
            weightedServices("weighted", services.map { ($0.name, $0.weight) }, &w)
        case .highestRandomWeight(let services):
            type = "highestrandomweight"
            weightedServices("highestRandomWeight", services.map { ($0.written, $0.weight) }, &w)
        case .failover(let f):
            // dynamic.Failover as Traefik's API marshals it (names as written).
            type = "failover"
            w.key("failover")
            w.beginObject()
            w.field("service", f.writtenService)
            w.field("fallback", f.writtenFallback)
            if f.healthCheck {
                w.key("healthCheck")
                w.beginObject()
                w.endObject()
            }
            w.endObject()
        case .mirroring(let m):
            type = "mirroring"
            w.key("mirroring")
            w.beginObject()
            w.field("service", m.writtenService)
            w.field("mirrorBody", m.mirrorBody)
            w.field("maxBodySize", m.maxBodySize)
            if !m.mirrors.isEmpty {
                w.key("mirrors")
                w.beginArray()
                for mirror in m.mirrors {
                    w.beginObject()
                    w.field("name", mirror.written)
                    if mirror.percent != 0 { w.field("percent", mirror.percent) }
                    w.endObject()
                }
                w.endArray()
            }
            if m.healthCheck {
                w.key("healthCheck")
                w.beginObject()
                w.endObject()
            }
            w.endObject()
        case .tcp(let t) where t.weighted != nil:
            type = "weighted"
            weightedServices("weighted", (t.weighted ?? []).map { ($0.written, $0.weight) }, &w)
        case .tcp(let t):
            type = "loadbalancer"
            servers = t.servers.map(\.address)
            w.key("loadBalancer")
            w.beginObject()
            w.key("servers")
            w.beginArray()
            for server in t.servers {
                w.beginObject()
                w.field("address", server.address)
                if server.tls { w.field("tls", true) }
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        runtimeInfo(errors: s.errors, status: s.status, usedBy: s.usedBy, name: s.name, provider: s.provider, &w)
        if let type { w.field("type", type) }
        if !servers.isEmpty && s.status != "disabled" {
            w.key("serverStatus")
            w.beginObject()
            for url in servers { w.field(url, health(url) ?? "UP") }
            w.endObject()
        }
        w.endObject()
    }

    static func middleware(_ m: APIMiddleware, _ w: inout JSONWriter) {
        w.beginObject()
        var type = ""
        if let (t, json) = m.internalConfig {
            type = t
            w.key(t == "redirectregex" ? "redirectRegex" : "stripPrefix")
            w.raw(json)
        } else if let kind = m.kind {
            type = APIMiddlewareJSON.write(kind, provider: m.provider, &w)
        }
        runtimeInfo(errors: m.errors, status: m.status, usedBy: m.usedBy, name: m.name, provider: m.provider, &w)
        w.field("type", type)
        w.endObject()
    }

    static func entryPoint(_ e: APIEntryPoint, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("address", e.address)
        w.key("transport")
        w.beginObject()
        w.key("lifeCycle")
        w.raw(#"{"graceTimeOut":"10s"}"#)
        w.key("respondingTimeouts")
        w.beginObject()
        // An unlimited timeout is kept as a huge value by the proxy; Traefik shows 0s for "none".
        w.field("readTimeout", goDuration(e.readTimeout >= UInt64.max / 8 ? 0 : Int64(e.readTimeout)))
        w.field("idleTimeout", goDuration(e.idleTimeout >= UInt64.max / 8 ? 0 : Int64(e.idleTimeout)))
        w.endObject()
        w.endObject()
        w.key("forwardedHeaders")
        w.beginObject()
        if e.insecure { w.field("insecure", true) }
        if !e.trustedIPs.isEmpty { strings("trustedIPs", e.trustedIPs, &w) }
        w.endObject()
        w.key("http")
        w.raw(#"{"sanitizePath":true,"maxHeaderBytes":1048576}"#)
        w.key("http2")
        // As Traefik's static.HTTP2Config: maxConcurrentStreams is omitempty (0 is left out). The header
        // table sizes are HPACK's 4096, what stoep uses (it ignores a configured value with a warning; Traefik
        // would show that value).
        w.beginObject()
        if e.maxConcurrentStreams != 0 { w.field("maxConcurrentStreams", Int(e.maxConcurrentStreams)) }
        w.field("maxDecoderHeaderTableSize", 4096)
        w.field("maxEncoderHeaderTableSize", 4096)
        w.endObject()
        w.key("udp")
        w.beginObject()
        w.field("timeout", goDuration(Int64(min(e.udpTimeout, UInt64(Int64.max)))))
        w.endObject()
        w.field("name", e.name)
        w.endObject()
    }

    /// `"<key>":{"services":[{"name":…,"weight":…},…]}`: how Traefik marshals every weighted kind alike
    /// (dynamic.WeightedRoundRobin, HighestRandomWeight, TCPWeightedRoundRobin, UDPWeightedRoundRobin).
    /// `members`: each service's name as the API shows it, and its weight.
    static func weightedServices(_ key: String, _ members: [(name: String, weight: Int64)], _ w: inout JSONWriter) {
        w.key(key)
        w.beginObject()
        w.key("services")
        w.beginArray()
        for m in members {
            w.beginObject()
            w.field("name", m.name)
            w.field("weight", m.weight)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// What Traefik's API writes after a service's or middleware's configuration: its runtime info
    /// (runtime.ServiceInfo / MiddlewareInfo: `error` and `usedBy` omitempty, `status`), then the
    /// representation's `name` and `provider` (pkg/api handler_http.go).
    static func runtimeInfo(errors: [String], status: String, usedBy: [String], name: String, provider: String,
                            _ w: inout JSONWriter) {
        if !errors.isEmpty { strings("error", errors, &w) }
        w.field("status", status)
        if !usedBy.isEmpty { strings("usedBy", usedBy, &w) }
        w.field("name", name)
        w.field("provider", provider)
    }

    static func strings(_ key: String, _ values: [String], _ w: inout JSONWriter) {
        w.key(key)
        w.beginArray()
        for v in values { w.string(v) }
        w.endArray()
    }

    /// Go's time.Duration String(): "0s", "100ms", "5s", "1m0s", "1h30m0s", "1.5s".
    static func goDuration(_ nanos: Int64) -> String {
        if nanos == 0 { return "0s" }
        let sign = nanos < 0 ? "-" : ""
        let n = nanos.magnitude
        if n < 1_000_000_000 {
            if n % 1_000_000 == 0 { return "\(sign)\(n / 1_000_000)ms" }
            if n % 1_000 == 0 { return "\(sign)\(n / 1_000)µs" }
            return "\(sign)\(n)ns"
        }
        let totalSeconds = n / 1_000_000_000
        let fraction = n % 1_000_000_000
        var secondsText = "\(totalSeconds % 60)"
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            secondsText += "." + digits
        }
        let minutes = totalSeconds / 60, hours = minutes / 60
        if hours > 0 { return "\(sign)\(hours)h\(minutes % 60)m\(secondsText)s" }
        if minutes > 0 { return "\(sign)\(minutes)m\(secondsText)s" }
        return "\(sign)\(secondsText)s"
    }
}
