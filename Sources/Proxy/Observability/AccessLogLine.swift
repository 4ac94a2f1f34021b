// One access-log line in Traefik's three formats (Traefik pkg/middlewares/accesslog: logger.go fills the
// fields, logger_formatters.go prints CLF, logrus' JSONFormatter prints JSON).
//
// What stoep cannot know the way Traefik does, and what it writes instead:
// - RequestProtocol: the client's framing ("HTTP/1.1", or "HTTP/2.0" for an h2 stream), not the request line's
//   version (an HTTP/1.0 client is logged as HTTP/1.1).
// - Origin* fields: stoep does not time the upstream separately; when a server was picked, OriginStatus and
//   OriginContentSize are the downstream values, OriginDuration the whole duration and Overhead 0; without a
//   server they are 0 and Overhead is the whole duration (as Traefik does).
// - origin_ headers are the answer's fields as the client got them (Traefik copies them before its own
//   response middlewares run), the same as downstream_.
// - ClientHost is the TCP peer (Traefik replaces it with X-Forwarded-For when present); RetryAttempts is 0.

import Config
import JSON

enum AccessLogLine {
    /// The access-log fields of one request as Traefik's logTheRoundTrip hands them to the formatter:
    /// core fields kept by `fields.names`/`defaultMode`, then request_/origin_/downstream_ headers by
    /// `fields.headers`.
    static func fields(_ r: CompletedRequest, start: WallTime, count: UInt64, config: TraefikAccessLogFields) -> [String: JSONField] {
        var fields: [String: JSONField] = [:]
        func add(_ k: String, _ v: JSONField) { if config.keep(k.lowercased()) { fields[k] = v } }
        let client = splitHostPort(r.clientAddress)
        add("ClientAddr", .string(r.clientAddress))
        add("ClientHost", .string(client.host))
        add("ClientPort", .string(client.port))
        add("ClientUsername", .string(orDash(r.user)))
        add("DownstreamContentSize", .number(r.responseBytes))
        add("DownstreamStatus", .number(UInt64(clamping: r.status)))
        add("Duration", .number(r.duration))
        // Traefik's InitServiceFields sets the Origin* fields to zero for every request; a service that
        // forwarded overwrites them.
        if let url = r.serverURL {
            add("OriginContentSize", .number(r.responseBytes))
            add("OriginDuration", .number(r.duration))
            add("OriginStatus", .number(UInt64(clamping: r.status)))
            add("Overhead", .number(0))
            add("ServiceAddr", .string(authority(of: url)))
            add("ServiceURL", .string(url))
        } else {
            add("OriginContentSize", .number(0))
            add("OriginDuration", .number(0))
            add("OriginStatus", .number(0))
            add("Overhead", .number(r.duration))
        }
        if !r.host.isEmpty {
            let host = splitHostPort(r.host)
            add("RequestAddr", .string(r.host))
            add("RequestHost", .string(host.host))
            add("RequestPort", .string(host.port))
        }
        add("RequestContentSize", .number(r.requestBytes))
        add("RequestCount", .number(count))
        add("RequestMethod", .string(r.method))
        var path = r.path
        if !config.keepsQueryParameters, let q = path.firstIndex(of: "?") { path = String(path[..<q]) }
        add("RequestPath", .string(path))
        add("RequestProtocol", .string(r.requestProtocol))
        add("RequestScheme", .string("http"))
        add("RetryAttempts", .number(UInt64(r.retryAttempts)))
        if let router = r.router ?? r.internalRouterName { add("RouterName", .string(router)) }
        if let service = r.service { add("ServiceName", .string(service)) }
        add("StartLocal", .string(start.rfc3339Nano(local: true)))
        add("StartUTC", .string(start.rfc3339Nano(local: false)))
        add("entryPointName", .string(r.entryPoint))
        addHeaders(r.requestHeaders, prefix: "request_", config, &fields)
        if r.fromServer { addHeaders(r.responseHeaders, prefix: "origin_", config, &fields) }
        addHeaders(r.responseHeaders, prefix: "downstream_", config, &fields)
        return fields
    }

    /// Traefik's redactHeaders: Go's header map (canonical names, a name's values joined with ",").
    private static func addHeaders(_ list: [(name: String, value: String)], prefix: String, _ config: TraefikAccessLogFields,
                                   _ fields: inout [String: JSONField]) {
        var joined: [String: String] = [:]
        for (name, value) in list {
            let canonical = TraefikStaticConfig.canonicalHeaderName(name)
            joined[canonical] = joined[canonical].map { $0 + "," + value } ?? value
        }
        for (name, value) in joined {
            switch config.headerMode(name) {
            case "keep": fields[prefix + name] = .string(value)
            case "redact": fields[prefix + name] = .string("REDACTED")
            default: break
            }
        }
    }

    /// Traefik's "common" format, one line with its newline:
    /// `host - user [time] "METHOD path proto" status size "referer" "agent" count "router" "url" Nms`.
    /// `generic` stops after the user agent (Traefik's genericCLF). A dropped field prints as "-".
    static func common(_ f: [String: JSONField], start: WallTime, duration: UInt64, generic: Bool) -> String {
        func plain(_ k: String) -> String { f[k].map { $0.text.isEmpty ? "-" : $0.text } ?? "-" }
        // Traefik's toLog(fields, key, default, quoted): numbers as they are, empty text as the default.
        func quoted(_ k: String, _ missing: String = "\"-\"") -> String {
            guard let v = f[k] else { return missing }
            if case .number(let n) = v { return String(n) }
            return v.text.isEmpty ? missing : "\"" + v.text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\\\"") + "\""
        }
        let time = f["StartUTC"] != nil ? start.commonLogUTC : f["StartLocal"] != nil ? start.commonLogLocal : "-"
        var s = "\(plain("ClientHost")) - \(plain("ClientUsername")) [\(time)] "
        s += "\"\(plain("RequestMethod")) \(plain("RequestPath")) \(plain("RequestProtocol"))\" \(plain("DownstreamStatus")) \(plain("DownstreamContentSize")) "
        s += quoted("request_Referer") + " " + quoted("request_User-Agent")
        if !generic {
            let ms = f["Duration"] != nil ? duration / 1_000_000 : 0
            s += " \(quoted("RequestCount", "-")) \(quoted("RouterName")) \(quoted("ServiceURL")) \(ms)ms"
        }
        return s + "\n"
    }

    /// Traefik's "json" format: logrus' JSONFormatter over the access-log fields, keys sorted byte-wise
    /// (Go's encoding/json sorts map keys), plus logrus' level/msg/time. One object and a newline.
    static func json(_ f: [String: JSONField], end: WallTime) -> String {
        var fields = f
        fields["level"] = .string("info")
        fields["msg"] = .string("")
        fields["time"] = .string(end.rfc3339(local: true))
        var s = "{"
        for (i, key) in fields.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if i > 0 { s += "," }
            GoJSON.appendString(&s, key)
            s += ":"
            switch fields[key]! {
            case .string(let v): GoJSON.appendString(&s, v)
            case .number(let v): s += String(v)
            }
        }
        return s + "}\n"
    }

    enum JSONField {
        case string(String)
        case number(UInt64)

        var text: String {
            switch self {
            case .string(let s): return s
            case .number(let n): return String(n)
            }
        }
    }

    /// Go's net.SplitHostPort as Traefik's silentSplitHostPort uses it: "[v6]:port" or "host:port" split;
    /// anything else (no port, a bare IPv6 address) is the host with port "-".
    static func splitHostPort(_ s: String) -> (host: String, port: String) {
        if s.hasPrefix("["), let close = s.firstIndex(of: "]") {
            let after = s[s.index(after: close)...]
            if after.hasPrefix(":") {
                return (String(s[s.index(after: s.startIndex)..<close]), String(after.dropFirst()))
            }
            return (s, "-")
        }
        let colons = s.utf8.filter { $0 == UInt8(ascii: ":") }.count
        guard colons == 1, let colon = s.firstIndex(of: ":") else { return (s, "-") }
        return (String(s[..<colon]), String(s[s.index(after: colon)...]))
    }

    /// "http://10.0.0.2:8080/base" → "10.0.0.2:8080" (Go's url.URL.Host).
    static func authority(of url: String) -> String {
        var rest = Substring(url)
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            rest = rest[rest.index(colon, offsetBy: 3)...]
        }
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        return String(rest)
    }

    private static func orDash(_ s: String?) -> String {
        guard let s, !s.isEmpty else { return "-" }
        return s
    }

}
