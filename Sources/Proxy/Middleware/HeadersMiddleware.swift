// Traefik's `headers` middleware (pkg/middlewares/headers): custom request and response fields, CORS
// (preflights answered here) and the security headers.
import Config

/// `headers`: custom request/response headers ("" deletes), CORS for simple requests, security headers.
final class HeadersMiddleware: HTTPMiddleware {
    let name: String
    let config: TraefikHeaders
    init(name: String, config: TraefikHeaders) {
        self.name = name
        self.config = config
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
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
    func preflightResponse(_ request: RequestView) -> LocalResponse? {
        guard request.head.knownMethod == .options, let origin = request.header("Origin"),
              request.header("Access-Control-Request-Method") != nil,
              !config.accessControlAllowOriginList.isEmpty || !config.accessControlAllowMethods.isEmpty else { return nil }
        var fields: [(name: String, value: String)] = []
        if let allowed = allowedOrigin(origin) { fields.append(("Access-Control-Allow-Origin", allowed)) }
        if config.accessControlAllowCredentials { fields.append(("Access-Control-Allow-Credentials", "true")) }
        if !config.accessControlAllowMethods.isEmpty {
            fields.append(("Access-Control-Allow-Methods", config.accessControlAllowMethods.joined(separator: ",")))
        }
        if !config.accessControlAllowHeaders.isEmpty {
            fields.append(("Access-Control-Allow-Headers", config.accessControlAllowHeaders.joined(separator: ",")))
        }
        if let age = config.accessControlMaxAge { fields.append(("Access-Control-Max-Age", String(age))) }
        return LocalResponse(status: 200, fields: fields)
    }
}
