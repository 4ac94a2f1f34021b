// The middlewares that ask someone else or check a digest before a request goes on — forwardAuth and
// digestAuth — decoded with Traefik 3.7's keys and defaults (pkg/config/dynamic/middlewares.go:
// ForwardAuth, ClientTLS, DigestAuth). basicAuth stays in TraefikMiddleware.swift.

public struct TraefikForwardAuth: Sendable, Hashable {
    /// The auth server's URL (http:// or https://), path and query included.
    public var address: String
    public var tls: TraefikClientTLS?
    /// nil (not configured) keeps Traefik's legacy header handling (oldWriteHeader); true or false selects
    /// the newer one (writeHeader), as in forward.go.
    public var trustForwardHeader: Bool?
    public var authResponseHeaders: [String] = []
    public var authResponseHeadersRegex = ""
    public var authRequestHeaders: [String] = []
    /// Past this many bytes the auth server's body makes the answer 401; nil = no limit of Traefik's.
    public var maxResponseBodySize: Int64?
    public var addAuthCookiesToResponse: [String] = []
    /// The auth answer's header whose first value names the user in the access log.
    public var headerField = ""
    public var maxBodySize: Int64?
    public var preserveLocationHeader = false
    public var preserveRequestMethod = false
    /// A 401 from the auth server becomes a 302 to this URL.
    public var authSigninURL = ""

    public init(address: String) { self.address = address }
}

/// Traefik's ClientTLS, file paths only (Traefik also takes the PEM text itself; refused here).
public struct TraefikClientTLS: Sendable, Hashable {
    public var ca = ""
    public var cert = ""
    public var key = ""
    public var insecureSkipVerify = false

    public init() {}
}

public struct TraefikDigestAuth: Sendable, Hashable {
    /// "name:realm:HA1" entries (htdigest lines); `usersFile` lines come first, later entries win.
    public var users: [String] = []
    public var usersFile: String?
    public var realm = "traefik"
    public var removeHeader = false
    /// Upstream header that receives the authenticated user's name; "" for none.
    public var headerField = ""

    public init() {}
}

extension TraefikMiddleware {
    static func decodeForwardAuth(_ body: TraefikSection, log: inout TraefikIssueLog) -> TraefikForwardAuth? {
        body.warnUnknownKeys(allowed: ["address", "tls", "trustForwardHeader", "authResponseHeaders", "authResponseHeadersRegex",
                                       "authRequestHeaders", "maxResponseBodySize", "addAuthCookiesToResponse", "headerField",
                                       "forwardBody", "maxBodySize", "preserveLocationHeader", "preserveRequestMethod",
                                       "authSigninURL"], log: &log)
        guard let address = required("address", body, "the auth server's URL, like \"http://authelia:9091/api/authz/forward-auth\"", &log) else { return nil }
        // Go's client answers every request 500 for another scheme ("unsupported protocol scheme"): said here.
        guard address.lowercased().hasPrefix("http://") || address.lowercased().hasPrefix("https://") else {
            log.error(body.node("address")?.location ?? body.location, body.path(body.writtenKey("address")),
                      "expected an http:// or https:// URL, found \"\(address)\"")
            return nil
        }
        var auth = TraefikForwardAuth(address: address)
        auth.trustForwardHeader = body.bool("trustForwardHeader", &log)
        auth.authResponseHeaders = body.strings("authResponseHeaders", &log) ?? []
        auth.authResponseHeadersRegex = body.string("authResponseHeadersRegex", &log) ?? ""
        auth.authRequestHeaders = body.strings("authRequestHeaders", &log) ?? []
        auth.maxResponseBodySize = body.integer("maxResponseBodySize", &log).flatMap { $0 < 0 ? nil : $0 }
        auth.addAuthCookiesToResponse = body.strings("addAuthCookiesToResponse", &log) ?? []
        auth.headerField = body.string("headerField", &log) ?? ""
        auth.maxBodySize = body.integer("maxBodySize", &log).flatMap { $0 < 0 ? nil : $0 }
        auth.preserveLocationHeader = body.bool("preserveLocationHeader", &log) ?? false
        auth.preserveRequestMethod = body.bool("preserveRequestMethod", &log) ?? false
        auth.authSigninURL = body.string("authSigninURL", &log) ?? ""
        if body.bool("forwardBody", &log) == true {
            // Traefik reads the whole body into memory before asking; stoep streams bodies (spliced) and has
            // no place to keep one while the auth server answers. Refused rather than sent without a body.
            log.error(body.node("forwardBody")?.location ?? body.location, body.path(body.writtenKey("forwardBody")),
                      "forwardBody is not supported by stoep: request bodies are streamed to the backend, never buffered for the auth server; this middleware (and routers using it) are not served")
            return nil
        }
        if let tls = body.section("tls", &log) {
            tls.warnUnknownKeys(allowed: ["ca", "cert", "key", "insecureSkipVerify", "caOptional"], log: &log)
            var client = TraefikClientTLS()
            client.ca = tls.string("ca", &log) ?? ""
            client.cert = tls.string("cert", &log) ?? ""
            client.key = tls.string("key", &log) ?? ""
            client.insecureSkipVerify = tls.bool("insecureSkipVerify", &log) ?? false
            if tls.node("caOptional") != nil {
                log.warning(tls.node("caOptional")?.location ?? tls.location, tls.path(tls.writtenKey("caOptional")),
                            "tls.CAOptional option is deprecated, TLS client authentication is a server side option, please remove any usage of this option.")
            }
            for key in ["ca", "cert", "key"] {
                let value = key == "ca" ? client.ca : key == "cert" ? client.cert : client.key
                if value.contains("-----BEGIN") {
                    log.error(tls.node(key)?.location ?? tls.location, tls.path(tls.writtenKey(key)),
                              "PEM text in place of a file path is not supported by stoep; write it to a file and give its path")
                    return nil
                }
            }
            // Go's tls.X509KeyPair needs both (CreateTLSConfig refuses one alone: the middleware fails).
            if client.cert.isEmpty != client.key.isEmpty {
                log.error(tls.location, tls.path, "tls needs both cert and key for a client certificate, or neither")
                return nil
            }
            auth.tls = client
        }
        return auth
    }

    static func decodeDigestAuth(_ body: TraefikSection, log: inout TraefikIssueLog) -> TraefikDigestAuth? {
        body.warnUnknownKeys(allowed: ["users", "usersFile", "realm", "removeHeader", "headerField"], log: &log)
        var auth = TraefikDigestAuth()
        auth.users = body.strings("users", &log) ?? []
        for (index, user) in auth.users.enumerated() where user.split(separator: ":", omittingEmptySubsequences: false).count != 3 {
            log.error(body.node("users")?.location ?? body.location, "\(body.path("users"))[\(index)]",
                      "expected \"name:realm:hash\" (an htdigest line), found \"\(user)\"")
        }
        auth.usersFile = body.string("usersFile", &log).flatMap { $0.isEmpty ? nil : $0 }
        if auth.users.isEmpty && auth.usersFile == nil {
            log.error(body.location, body.path("users"), "digestAuth has neither users nor usersFile")
        }
        if let realm = body.string("realm", &log), !realm.isEmpty { auth.realm = realm }
        auth.removeHeader = body.bool("removeHeader", &log) ?? false
        auth.headerField = body.string("headerField", &log) ?? ""
        return auth
    }
}
