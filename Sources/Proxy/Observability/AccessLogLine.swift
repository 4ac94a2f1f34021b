// One access-log line in Traefik's three formats (Traefik pkg/middlewares/accesslog: logger.go fills the
// fields, logger_formatters.go prints CLF, logrus' JSONFormatter prints JSON).
//
// What stoep cannot know the way Traefik does, and what it writes instead:
// - RequestProtocol: the client's framing ("HTTP/1.1", or "HTTP/2.0" for an h2 stream), not the request line's
//   version (an HTTP/1.0 client is logged as HTTP/1.1).
// - Origin* fields: stoep does not time the upstream separately; when a server was picked, OriginStatus and
//   OriginContentSize are the downstream values, OriginDuration the whole duration and Overhead 0; without a
//   server they are left out and Overhead is the whole duration (as Traefik does).
// - ClientHost is the TCP peer (Traefik replaces it with X-Forwarded-For when present); RetryAttempts is 0.

import JSON

enum AccessLogLine {
    /// Traefik's "common" format, one line with its newline:
    /// `host - user [time] "METHOD path proto" status size "referer" "agent" count "router" "url" Nms`.
    /// `generic` stops after the user agent (Traefik's genericCLF).
    static func common(_ r: CompletedRequest, start: WallTime, count: UInt64, headers: Bool,
                       generic: Bool) -> String {
        let client = splitHostPort(r.clientAddress).host
        var s = "\(orDash(client)) - \(orDash(r.user)) [\(start.commonLogUTC)] "
        s += "\"\(orDash(r.method)) \(orDash(r.path)) \(r.requestProtocol)\" \(r.status) \(r.responseBytes) "
        s += quotedOrDash(headers ? r.referer : nil) + " " + quotedOrDash(headers ? r.userAgent : nil)
        if !generic {
            s += " \(count) \(quotedOrDash(r.router)) \(quotedOrDash(r.serverURL)) \(r.duration / 1_000_000)ms"
        }
        return s + "\n"
    }

    /// Traefik's "json" format: logrus' JSONFormatter over the access-log fields, keys sorted byte-wise
    /// (Go's encoding/json sorts map keys), plus logrus' level/msg/time. One object and a newline.
    static func json(_ r: CompletedRequest, start: WallTime, end: WallTime, count: UInt64,
                     headers: Bool) -> String {
        var fields: [(String, JSONField)] = []
        func add(_ k: String, _ v: JSONField) { fields.append((k, v)) }
        let client = splitHostPort(r.clientAddress)
        add("ClientAddr", .string(r.clientAddress))
        add("ClientHost", .string(client.host))
        add("ClientPort", .string(client.port))
        add("ClientUsername", .string(orDash(r.user)))
        add("DownstreamContentSize", .number(r.responseBytes))
        add("DownstreamStatus", .number(UInt64(clamping: r.status)))
        add("Duration", .number(r.duration))
        if let url = r.serverURL {
            add("OriginContentSize", .number(r.responseBytes))
            add("OriginDuration", .number(r.duration))
            add("OriginStatus", .number(UInt64(clamping: r.status)))
            add("Overhead", .number(0))
            add("ServiceAddr", .string(authority(of: url)))
            add("ServiceURL", .string(url))
        } else {
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
        add("RequestPath", .string(r.path))
        add("RequestProtocol", .string(r.requestProtocol))
        add("RequestScheme", .string("http"))
        add("RetryAttempts", .number(0))
        if let router = r.router { add("RouterName", .string(router)) }
        if let service = r.service { add("ServiceName", .string(service)) }
        add("StartLocal", .string(start.rfc3339Nano(local: true)))
        add("StartUTC", .string(start.rfc3339Nano(local: false)))
        add("entryPointName", .string(r.entryPoint))
        add("level", .string("info"))
        add("msg", .string(""))
        add("time", .string(end.rfc3339(local: true)))
        if headers, let referer = r.referer { add("request_Referer", .string(referer)) }
        if headers, let agent = r.userAgent { add("request_User-Agent", .string(agent)) }
        fields.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        var s = "{"
        for (i, (key, value)) in fields.enumerated() {
            if i > 0 { s += "," }
            GoJSON.appendString(&s, key)
            s += ":"
            switch value {
            case .string(let v): GoJSON.appendString(&s, v)
            case .number(let v): s += String(v)
            }
        }
        return s + "}\n"
    }

    enum JSONField {
        case string(String)
        case number(UInt64)
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

    private static func quotedOrDash(_ s: String?) -> String {
        guard let s, !s.isEmpty else { return "\"-\"" }
        return "\"" + s + "\""
    }
}
