// The middlewares community deployments use, compiled from Traefik's configuration model.
import Config

/// `headers`: custom request/response headers ("" deletes), CORS for simple requests, security headers.
final class HeadersMiddleware: HTTPMiddleware {
    let name: String
    let config: TraefikHeaders
    init(name: String, config: TraefikHeaders) {
        self.name = name
        self.config = config
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> [UInt8]? {
        for kv in config.customRequestHeaders {
            if kv.value.isEmpty {
                forward.removeHeaders.insert(kv.key.lowercased())
            } else {
                forward.setHeaders.append((kv.key, kv.value))
            }
        }
        var out = config.customResponseHeaders.map { (name: $0.key, value: $0.value) }
        if let preflight = preflightResponse(request) { return preflight }
        if let origin = request.header("Origin") {
            if let allowed = allowedOrigin(origin) { out.append(("Access-Control-Allow-Origin", allowed)) }
            if config.accessControlAllowCredentials { out.append(("Access-Control-Allow-Credentials", "true")) }
            if !config.accessControlExposeHeaders.isEmpty {
                out.append(("Access-Control-Expose-Headers", config.accessControlExposeHeaders.joined(separator: ",")))
            }
            if config.addVaryHeader { out.append(("Vary", "Origin")) }
        }
        if config.stsSeconds > 0 && (scheme == "https" || config.forceSTSHeader) {
            var v = "max-age=\(config.stsSeconds)"
            if config.stsIncludeSubdomains { v += "; includeSubDomains" }
            if config.stsPreload { v += "; preload" }
            out.append(("Strict-Transport-Security", v))
        }
        if config.frameDeny { out.append(("X-Frame-Options", "DENY")) }
        if let v = config.customFrameOptionsValue { out.append(("X-Frame-Options", v)) }
        if config.contentTypeNosniff { out.append(("X-Content-Type-Options", "nosniff")) }
        if config.browserXssFilter { out.append(("X-XSS-Protection", "1; mode=block")) }
        if let v = config.referrerPolicy { out.append(("Referrer-Policy", v)) }
        if let v = config.contentSecurityPolicy { out.append(("Content-Security-Policy", v)) }
        if let v = config.permissionsPolicy { out.append(("Permissions-Policy", v)) }
        forward.responseHeaders += out
        return nil
    }
}

extension HeadersMiddleware {
    /// The Access-Control-Allow-Origin value for `origin`: "*" when the list allows any, the origin
    /// itself when listed, nil otherwise.
    func allowedOrigin(_ origin: String) -> String? {
        let list = config.accessControlAllowOriginList
        if list.contains("*") { return "*" }
        return list.contains(origin) ? origin : nil
    }

    /// A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here, as
    /// Traefik's headers middleware does, when CORS is configured: 200 with the allowed origin,
    /// methods, headers, credentials and max age; the backend never sees it.
    func preflightResponse(_ request: RequestView) -> [UInt8]? {
        guard request.head.knownMethod == .options, let origin = request.header("Origin"),
              request.header("Access-Control-Request-Method") != nil,
              !config.accessControlAllowOriginList.isEmpty || !config.accessControlAllowMethods.isEmpty else { return nil }
        var w = HTTPHeaderWriter()
        w.statusLine(200)
        if let allowed = allowedOrigin(origin) { _ = w.field("Access-Control-Allow-Origin", allowed) }
        if config.accessControlAllowCredentials { _ = w.field("Access-Control-Allow-Credentials", "true") }
        if !config.accessControlAllowMethods.isEmpty {
            _ = w.field("Access-Control-Allow-Methods", config.accessControlAllowMethods.joined(separator: ","))
        }
        if !config.accessControlAllowHeaders.isEmpty {
            _ = w.field("Access-Control-Allow-Headers", config.accessControlAllowHeaders.joined(separator: ","))
        }
        if let age = config.accessControlMaxAge { _ = w.field("Access-Control-Max-Age", String(age)) }
        _ = w.field("Content-Length", "0")
        return w.finished()
    }
}

/// `stripPrefix`: removes the first matching plain-string prefix and says so in X-Forwarded-Prefix.
final class StripPrefixMiddleware: HTTPMiddleware {
    let name: String
    let prefixes: [String]
    let forceSlash: Bool
    init(name: String, prefixes: [String], forceSlash: Bool) {
        self.name = name
        self.prefixes = prefixes
        self.forceSlash = forceSlash
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> [UInt8]? {
        for p in prefixes where forward.path.hasPrefix(p) {
            var rest = String(forward.path.dropFirst(p.count))
            if !rest.hasPrefix("/") && (forceSlash || !rest.isEmpty) { rest = "/" + rest }
            forward.path = rest
            forward.setHeaders.append(("X-Forwarded-Prefix", p))
            break
        }
        return nil
    }
}

/// `addPrefix`: puts a prefix before the path.
final class AddPrefixMiddleware: HTTPMiddleware {
    let name: String
    let prefix: String
    init(name: String, prefix: String) {
        self.name = name
        self.prefix = prefix
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> [UInt8]? {
        forward.path = prefix + forward.path
        return nil
    }
}

/// `redirectScheme`: permanent → 301 for GET / 308 otherwise; temporary → 302 / 307 (redirect.go).
final class RedirectSchemeMiddleware: HTTPMiddleware {
    let name: String
    let config: TraefikRedirectScheme
    init(name: String, config: TraefikRedirectScheme) {
        self.name = name
        self.config = config
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> [UInt8]? {
        guard scheme != config.scheme else { return nil }
        var host = request.hostHeader
        if host.hasPrefix("[") {
            if let close = host.firstIndex(of: "]") { host = String(host[...close]) }
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        var port = config.port.map { ":\($0)" } ?? ""
        if (config.scheme == "https" && port == ":443") || (config.scheme == "http" && port == ":80") { port = "" }
        let target = request.pathAndQuery
        let location = "\(config.scheme)://\(host)\(port)\(target.path)\(target.query.isEmpty ? "" : "?" + target.query)"
        let isGet = request.head.knownMethod == .get
        let status = config.forcePermanentRedirect ? 308 : config.permanent ? (isGet ? 301 : 308) : (isGet ? 302 : 307)
        return RedirectResponse.make(status: status, location: location)
    }
}

enum RedirectResponse {
    /// Go's http.Redirect for non-GET/HEAD requests sends no body; for GET a short HTML link. Traefik's
    /// redirect handler writes no body at all: only the status and Location.
    static func make(status: Int, location: String) -> [UInt8] {
        var w = HTTPHeaderWriter()
        w.statusLine(status)
        _ = w.field("Location", location)
        _ = w.field("Content-Length", "0")
        return w.finished()
    }
}

/// `ipAllowList` (v2 `ipWhiteList`): the peer address (or the depth-th X-Forwarded-For entry from the
/// right) must lie in a source range; otherwise 403 `Forbidden`.
final class IPAllowListMiddleware: HTTPMiddleware {
    let name: String
    let ranges: [ClientIPRange]
    let depth: Int
    let status: Int
    init(name: String, config: TraefikIPAllowList) {
        self.name = name
        ranges = config.sourceRange.compactMap { ClientIPRange($0) ?? ClientIPRange($0 + ($0.contains(":") ? "/128" : "/32")) }
        depth = Int(config.ipStrategy?.depth ?? 0)
        status = Int(config.rejectStatusCode)
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> [UInt8]? {
        var ip = request.clientIP
        if depth > 0 {
            let list = request.headerValues(named: "X-Forwarded-For").joined(separator: ",")
                .split(separator: ",").map { $0.trimmingCharacters(" ") }
            ip = list.count >= depth ? ClientIP(list[list.count - depth]) : nil
        }
        if let ip, ranges.contains(where: { $0.contains(ip) }) { return nil }
        return HTTPErrorResponse.statusText(status, date: nil)
    }
}

/// `redirectRegex`: the request URL (scheme://host/path?query) rewritten by regex → Location.
final class RedirectRegexMiddleware: HTTPMiddleware {
    let name: String
    let regex: CompiledRegex
    let replacement: String
    let permanent: Bool
    init(name: String, regex: CompiledRegex, replacement: String, permanent: Bool) {
        self.name = name
        self.regex = regex
        self.replacement = replacement
        self.permanent = permanent
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> [UInt8]? {
        let t = request.pathAndQuery
        let url = "\(scheme)://\(request.hostHeader)\(t.path)\(t.query.isEmpty ? "" : "?" + t.query)"
        guard let location = regex.replacingMatches(in: url, with: replacement), location != url else { return nil }
        let isGet = request.head.knownMethod == .get
        return RedirectResponse.make(status: permanent ? (isGet ? 301 : 308) : (isGet ? 302 : 307), location: location)
    }
}

/// `stripPrefixRegex`: strips the part of the path a regex matches at its start.
final class StripPrefixRegexMiddleware: HTTPMiddleware {
    let name: String
    let regexes: [CompiledRegex]
    init(name: String, regexes: [CompiledRegex]) {
        self.name = name
        self.regexes = regexes
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> [UInt8]? {
        for r in regexes {
            guard let m = r.firstMatch(forward.path), m.lowerBound == 0, m.upperBound > 0 else { continue }
            let bytes = Array(forward.path.utf8)
            let prefix = String(decoding: bytes[0..<m.upperBound], as: UTF8.self)
            var rest = String(decoding: bytes[m.upperBound...], as: UTF8.self)
            if !rest.hasPrefix("/") { rest = "/" + rest }
            forward.path = rest
            forward.setHeaders.append(("X-Forwarded-Prefix", prefix))
            break
        }
        return nil
    }
}

/// `buffering.maxRequestBodyBytes`: a declared length past the limit is answered 413 at once; a chunked
/// body is counted while it streams and cut off with 413 when it passes the limit.
final class BodyLimitMiddleware: HTTPMiddleware {
    let name: String
    let limit: UInt64
    init(name: String, limit: UInt64) {
        self.name = name
        self.limit = limit
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> [UInt8]? {
        if let n = request.head.contentLength, n > limit {
            return HTTPErrorResponse.requestEntityTooLarge(date: nil)
        }
        forward.maxRequestBody = min(forward.maxRequestBody ?? .max, limit)
        return nil
    }
}
