// The security half of Traefik's headers middleware: unrolled/secure v1.0.9's processRequest as
// pkg/middlewares/headers/secure.go configures it (no SSL redirect options in Traefik 3, no CSP nonce).
import Config

struct SecureHeadersPolicy {
    let config: TraefikHeaders

    init(_ config: TraefikHeaders) { self.config = config }

    /// The check reads request fields only for allowedHosts (hostsProxyHeaders) and sslProxyHeaders.
    var needsRequest: Bool { (!config.allowedHosts.isEmpty && !config.hostsProxyHeaders.isEmpty) || !config.sslProxyHeaders.isEmpty }

    enum Outcome {
        /// allowedHosts refused the host: Go's http.Error(w, "Bad Host", 500) from defaultBadHostHandler.
        case refused(LocalResponse)
        /// Response headers to set on the backend's answer, in the order secure sets them.
        case headers([(name: String, value: String)])
    }

    /// `host`: the request's Host; `header`: the request's first value of a field (custom request headers
    /// applied); `tls`: the connection is TLS.
    func check(host requestHost: String, header: (String) -> String?, tls: Bool) -> Outcome {
        let c = config
        // The first non-empty hostsProxyHeaders field stands for the Host.
        var host = requestHost
        for name in c.hostsProxyHeaders {
            if let h = header(name), !h.isEmpty {
                host = h
                break
            }
        }
        if !c.allowedHosts.isEmpty && !c.isDevelopment {
            // strings.EqualFold: Unicode simple folding; ASCII host names compare case-insensitively.
            guard c.allowedHosts.contains(where: { $0.lowercased() == host.lowercased() }) else {
                return .refused(.goError(500, "Bad Host"))
            }
        }
        // isSSL: TLS, or an sslProxyHeaders field with exactly its value (Get: "" for an absent field).
        let ssl = tls || c.sslProxyHeaders.contains { (header($0.key) ?? "") == $0.value }
        var out: [(name: String, value: String)] = []
        if c.stsSeconds != 0 && (ssl || c.forceSTSHeader) && !c.isDevelopment {
            var v = "max-age=\(c.stsSeconds)"
            if c.stsIncludeSubdomains { v += "; includeSubDomains" }
            if c.stsPreload { v += "; preload" }
            out.append(("Strict-Transport-Security", v))
        }
        if let v = c.customFrameOptionsValue, !v.isEmpty {
            out.append(("X-Frame-Options", v))
        } else if c.frameDeny {
            out.append(("X-Frame-Options", "DENY"))
        }
        if c.contentTypeNosniff { out.append(("X-Content-Type-Options", "nosniff")) }
        if let v = c.customBrowserXSSValue, !v.isEmpty {
            out.append(("X-XSS-Protection", v))
        } else if c.browserXssFilter {
            out.append(("X-XSS-Protection", "1; mode=block"))
        }
        if let v = c.publicKey, !v.isEmpty, ssl && !c.isDevelopment { out.append(("Public-Key-Pins", v)) }
        if let v = c.contentSecurityPolicy, !v.isEmpty { out.append(("Content-Security-Policy", v)) }
        if let v = c.contentSecurityPolicyReportOnly, !v.isEmpty { out.append(("Content-Security-Policy-Report-Only", v)) }
        if let v = c.referrerPolicy, !v.isEmpty { out.append(("Referrer-Policy", v)) }
        if let v = c.permissionsPolicy, !v.isEmpty { out.append(("Permissions-Policy", v)) }
        return .headers(out)
    }
}
