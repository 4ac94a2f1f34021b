// The header list of forwardAuth's request to the auth server, built as Traefik 3.7 builds it
// (pkg/middlewares/auth/forward.go: writeHeader / oldWriteHeader). Its starting point is the request as
// Traefik's handler holds it when the middleware runs: the client's fields after the entry point's
// forwarded-headers handler (an untrusted peer's X-Forwarded-* gone, X-Real-Ip, X-Forwarded-Proto, -Port,
// -Host and -Server set, Connection options removed) and after the middlewares before this one.
import HTTP

/// Header fields with Go's http.Header semantics that matter here: names compared case-insensitively,
/// several values per name, order of first appearance kept.
struct GoHeaderList {
    private(set) var fields: [(name: String, value: String)] = []

    func values(_ name: String) -> [String] {
        fields.filter { HTTPASCII.equalsIgnoringCase($0.name.utf8, name.utf8) }.map(\.value)
    }
    func has(_ name: String) -> Bool { fields.contains { HTTPASCII.equalsIgnoringCase($0.name.utf8, name.utf8) } }
    mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }
    mutating func remove(_ name: String) { fields.removeAll { HTTPASCII.equalsIgnoringCase($0.name.utf8, name.utf8) } }
    mutating func remove(where match: (String) -> Bool) { fields.removeAll { match($0.name) } }
    /// Go's Header.Set: the field's other values go, this one takes the first one's place.
    mutating func set(_ name: String, _ value: String) {
        if let i = fields.firstIndex(where: { HTTPASCII.equalsIgnoringCase($0.name.utf8, name.utf8) }) {
            fields[i].value = value
            fields = fields.enumerated().filter { $0.offset <= i || !HTTPASCII.equalsIgnoringCase($0.element.name.utf8, name.utf8) }.map(\.element)
        } else {
            fields.append((name, value))
        }
    }

    /// Go's CanonicalHeaderKey: first letter and each letter after '-' upper case, the rest lower; a name
    /// with a space or another non-token byte is left as it is.
    static func canonical(_ name: String) -> String {
        guard name.utf8.allSatisfy(HTTPASCII.isTokenByte) else { return name }
        var upper = true
        return String(decoding: name.utf8.map { b -> UInt8 in
            defer { upper = b == UInt8(ascii: "-") }
            return upper ? HTTPASCII.uppercased(b) : HTTPASCII.lowercased(b)
        }, as: UTF8.self)
    }
}

extension GoHeaderList {
    /// Managed X-headers (forwardedheaders.XHeadersSet) with their underscore spellings.
    static func isManagedXHeader(_ name: String) -> Bool {
        let canonical = GoHeaderList.canonical(String(name.map { $0 == "_" ? "-" : $0 }))
        return ["X-Forwarded-Proto", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Server",
                "X-Forwarded-Uri", "X-Forwarded-Method", "X-Forwarded-Prefix", "X-Forwarded-Tls-Client-Cert",
                "X-Forwarded-Tls-Client-Cert-Info", "X-Real-Ip"].contains(canonical)
    }

    /// The request's fields as Traefik's req.Header holds them when this middleware runs (see the top).
    /// Host, Content-Length, Transfer-Encoding and Trailer are not in it (Go keeps them elsewhere, and its
    /// client writes none of them from the header map).
    static func traefikRequestHeaders(_ view: RequestView, _ forward: ForwardedRequest, peerIP: String, tls: Bool,
                                      serverName: String) -> GoHeaderList {
        let b = view.bytes
        var connectionOptions: Set<String> = []
        HeadRewriter.forEachConnectionOption(view.head.fields, in: b) { if !isManagedXHeader($0) { connectionOptions.insert($0) } }
        let replaced = Set(forward.setHeaders.map { $0.name.lowercased() })
        var list = GoHeaderList()
        for f in view.head.fields {
            let name = HeadRewriter.lower(b[f.name])
            if ["host", "content-length", "transfer-encoding", "trailer", "connection"].contains(name) { continue }
            if connectionOptions.contains(name) || forward.removeHeaders.contains(name) || replaced.contains(name) { continue }
            let written = String(decoding: b[f.name], as: UTF8.self)
            if forward.removeHeadersMatching.contains(where: { $0.matches(GoHeaderList.canonical(written)) }) { continue }
            if !view.trustedPeer && isManagedXHeader(name) { continue }
            list.add(written, String(decoding: b[f.value], as: UTF8.self))
        }
        if view.head.isUpgrade, let u = view.head.upgrade { list.set("Upgrade", String(decoding: b[u], as: UTF8.self)) }
        for (n, v) in forward.setHeaders where !v.isEmpty { list.add(n, v) }
        for (n, v) in forward.addHeaders { list.add(n, v) }
        // forwarded_header.go rewrite():
        if (list.values("X-Real-Ip").first ?? "").isEmpty { list.set("X-Real-Ip", peerIP) }
        if (list.values("X-Forwarded-Proto").first ?? "").isEmpty {
            let websocket = view.head.isUpgrade
            list.set("X-Forwarded-Proto", websocket ? (tls ? "wss" : "ws") : (tls ? "https" : "http"))
        }
        if (list.values("X-Forwarded-Port").first ?? "").isEmpty {
            list.set("X-Forwarded-Port", forwardedPort(host: view.hostHeader, proto: list.values("X-Forwarded-Proto").first ?? "", tls: tls))
        }
        if (list.values("X-Forwarded-Host").first ?? "").isEmpty && !view.hostHeader.isEmpty { list.set("X-Forwarded-Host", view.hostHeader) }
        let xff = list.values("X-Forwarded-For")
        if !xff.isEmpty { list.set("X-Forwarded-For", xff.joined(separator: ", ")) }
        if !serverName.isEmpty { list.set("X-Forwarded-Server", serverName) }
        return list
    }

    /// forwardedPort: the Host's port, else 443 for https/wss or TLS, else 80.
    static func forwardedPort(host: String, proto: String, tls: Bool) -> String {
        if !host.hasSuffix("]"), let colon = host.lastIndex(of: ":"), colon != host.startIndex {
            let port = host[host.index(after: colon)...]
            if !port.isEmpty { return String(port) }
        }
        return proto == "https" || proto == "wss" || tls ? "443" : "80"
    }

}

extension ForwardAuthMiddleware {
    /// The header list sent to the auth server: writeHeader when trustForwardHeader is set, oldWriteHeader
    /// when it is not.
    func authRequestHeaders(_ incoming: GoHeaderList, view: RequestView, uri: String, peerIP: String, tls: Bool) -> GoHeaderList {
        var h = incoming
        // RemoveConnectionHeaders found nothing left (the entry point removed them); hopHeaders.
        for name in ["Connection", "Keep-Alive", "Te", "Trailers", "Transfer-Encoding", "Upgrade"] { h.remove(name) }
        let method = view.method
        guard let trust = config.trustForwardHeader else {
            h = Self.filtered(h, requestHeaders)
            h.set("X-Forwarded-For", peerIP)
            h.set("X-Forwarded-Proto", tls ? "https" : "http")
            h.set("X-Forwarded-Method", method)
            h.set("X-Forwarded-Host", view.hostHeader)
            h.set("X-Forwarded-Uri", uri)
            return h
        }
        if !trust { h.remove(where: GoHeaderList.isManagedXHeader) }
        // No User-Agent from the client: none to the auth server either (not Go's default).
        if !h.has("User-Agent") { h.set("User-Agent", "") }
        h = Self.filtered(h, requestHeaders)
        let prior = h.values("X-Forwarded-For")
        h.set("X-Forwarded-For", prior.isEmpty ? peerIP : prior.joined(separator: ", ") + ", " + peerIP)
        if !h.has("X-Forwarded-Method") { h.set("X-Forwarded-Method", method) }
        if !h.has("X-Forwarded-Proto") { h.set("X-Forwarded-Proto", tls ? "https" : "http") }
        if !h.has("X-Forwarded-Port") {
            h.set("X-Forwarded-Port", GoHeaderList.forwardedPort(host: view.hostHeader, proto: h.values("X-Forwarded-Proto").first ?? "", tls: tls))
        }
        if !h.has("X-Forwarded-Host") { h.set("X-Forwarded-Host", view.hostHeader) }
        if !h.has("X-Forwarded-Uri") { h.set("X-Forwarded-Uri", uri) }
        return h
    }

    /// filterForwardRequestHeaders: only the listed names (all their values), when there is a list.
    private static func filtered(_ h: GoHeaderList, _ allowed: [String]) -> GoHeaderList {
        guard !allowed.isEmpty else { return h }
        var out = GoHeaderList()
        var seen: Set<String> = []
        for name in allowed {
            let canonical = GoHeaderList.canonical(name)
            guard seen.insert(canonical).inserted else { continue }
            for v in h.values(name) { out.add(canonical, v) }
        }
        return out
    }
}
