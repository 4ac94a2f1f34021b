// `sticky.cookie` of a `loadBalancer` or `weighted` service (Traefik's dynamic.Cookie,
// pkg/config/dynamic/http_config.go, v3.7.9): the cookie that keeps a client with the server (or child
// service) it was first sent to. `sticky` without `cookie` sticks nothing, as in Traefik (its Cookie
// pointer stays nil). `expires` is only set by Traefik's Ingress NGINX provider, so it has no key here.

public struct TraefikStickyCookie: Sendable, Hashable {
    /// As written; empty = derived from the service name when the service is built (Traefik's
    /// cookie.GetName).
    public var name: String
    public var secure: Bool
    public var httpOnly: Bool
    /// "none", "lax", "strict" (any case), or anything else for none written.
    public var sameSite: String
    /// Seconds; 0 = none written, negative = `Max-Age=0` (Go's http.Cookie).
    public var maxAge: Int64
    /// nil = "/" (Traefik's default).
    public var path: String?
    public var domain: String

    public init(name: String = "", secure: Bool = false, httpOnly: Bool = false, sameSite: String = "", maxAge: Int64 = 0,
                path: String? = nil, domain: String = "") {
        self.name = name
        self.secure = secure
        self.httpOnly = httpOnly
        self.sameSite = sameSite
        self.maxAge = maxAge
        self.path = path
        self.domain = domain
    }

    static let keys = ["name", "secure", "httpOnly", "sameSite", "maxAge", "path", "domain"]

    /// The `sticky.cookie` under `body` (a loadBalancer or weighted table), or nil when there is none.
    static func decode(in body: TraefikSection, _ log: inout TraefikIssueLog) -> TraefikStickyCookie? {
        guard let sticky = body.section("sticky", &log) else { return nil }
        sticky.warnUnknownKeys(allowed: ["cookie"], log: &log)
        guard let cookie = sticky.section("cookie", &log) else { return nil }
        cookie.warnUnknownKeys(allowed: keys, log: &log)
        var c = TraefikStickyCookie()
        c.name = cookie.string("name", &log) ?? ""
        c.secure = cookie.bool("secure", &log) ?? false
        c.httpOnly = cookie.bool("httpOnly", &log) ?? false
        c.sameSite = cookie.string("sameSite", &log) ?? ""
        if !c.sameSite.isEmpty && !["none", "lax", "strict"].contains(c.sameSite.lowercased()) {
            // Traefik writes no SameSite attribute for such a value (convertSameSite's default).
            log.warning(cookie.node("sameSite")?.location ?? cookie.location, cookie.path("sameSite"),
                        "expected none, lax or strict, found \"\(c.sameSite)\"; no SameSite attribute is written, as in Traefik")
        }
        c.maxAge = cookie.integer("maxAge", in: Int64(Int32.min)...Int64(Int32.max), &log) ?? 0
        c.path = cookie.string("path", &log)
        c.domain = cookie.string("domain", &log) ?? ""
        return c
    }
}
