// The `headers` middleware: custom request/response headers, CORS and security headers. Field names and
// meanings are Traefik 3's (reference: routing-configuration/http/middlewares/headers.md). The v2 SSL
// redirect options were removed in Traefik 3 (use redirectScheme); they are reported and ignored.

public struct TraefikHeaders: Sendable, Hashable {
    /// Set on the request before forwarding; an empty value removes the header.
    public var customRequestHeaders: [TraefikKeyValue] = []
    /// Set on the response; an empty value removes the header.
    public var customResponseHeaders: [TraefikKeyValue] = []

    // CORS
    public var accessControlAllowCredentials = false
    public var accessControlAllowHeaders: [String] = []
    public var accessControlAllowMethods: [String] = []
    /// "*" allowed.
    public var accessControlAllowOriginList: [String] = []
    public var accessControlAllowOriginListRegex: [String] = []
    public var accessControlExposeHeaders: [String] = []
    /// Seconds; nil = no Access-Control-Max-Age header.
    public var accessControlMaxAge: Int64?
    public var addVaryHeader = false

    // Host checks and proxy headers
    public var allowedHosts: [String] = []
    public var hostsProxyHeaders: [String] = []
    public var sslProxyHeaders: [TraefikKeyValue] = []

    // Security headers
    public var stsSeconds: Int64 = 0
    public var stsIncludeSubdomains = false
    public var stsPreload = false
    public var forceSTSHeader = false
    public var frameDeny = false
    public var customFrameOptionsValue: String?
    public var contentTypeNosniff = false
    public var browserXssFilter = false
    public var customBrowserXSSValue: String?
    public var contentSecurityPolicy: String?
    public var contentSecurityPolicyReportOnly: String?
    public var publicKey: String?
    public var referrerPolicy: String?
    public var permissionsPolicy: String?
    public var isDevelopment = false

    public init() {}
}

extension TraefikHeaders {
    static let keys = ["customRequestHeaders", "customResponseHeaders", "accessControlAllowCredentials", "accessControlAllowHeaders",
                       "accessControlAllowMethods", "accessControlAllowOriginList", "accessControlAllowOriginListRegex",
                       "accessControlExposeHeaders", "accessControlMaxAge", "addVaryHeader", "allowedHosts", "hostsProxyHeaders",
                       "sslProxyHeaders", "stsSeconds", "stsIncludeSubdomains", "stsPreload", "forceSTSHeader", "frameDeny",
                       "customFrameOptionsValue", "contentTypeNosniff", "browserXssFilter", "customBrowserXSSValue", "contentSecurityPolicy",
                       "contentSecurityPolicyReportOnly", "publicKey", "referrerPolicy", "permissionsPolicy", "isDevelopment"]
    /// Traefik v2 options that v3 removed, with what to use instead.
    static let removedInV3 = [("sslRedirect", "use the redirectScheme middleware"), ("sslTemporaryRedirect", "use the redirectScheme middleware"),
                              ("sslHost", "use the redirectRegex middleware"), ("sslForceHost", "use the redirectRegex middleware"),
                              ("featurePolicy", "use permissionsPolicy")]

    static func decode(_ body: TraefikSection, log: inout TraefikIssueLog) -> TraefikHeaders {
        body.warnUnknownKeys(allowed: keys + removedInV3.map(\.0), log: &log)
        for (key, advice) in removedInV3 {
            if let node = body.node(key) {
                log.warning(node.location, body.path(body.writtenKey(key)), "removed in Traefik v3; ignored (\(advice))")
            }
        }
        var headers = TraefikHeaders()
        headers.customRequestHeaders = body.stringMap("customRequestHeaders", &log) ?? []
        headers.customResponseHeaders = body.stringMap("customResponseHeaders", &log) ?? []
        headers.accessControlAllowCredentials = body.bool("accessControlAllowCredentials", &log) ?? false
        headers.accessControlAllowHeaders = body.strings("accessControlAllowHeaders", &log) ?? []
        headers.accessControlAllowMethods = body.strings("accessControlAllowMethods", &log) ?? []
        headers.accessControlAllowOriginList = body.strings("accessControlAllowOriginList", &log) ?? []
        headers.accessControlAllowOriginListRegex = body.strings("accessControlAllowOriginListRegex", &log) ?? []
        headers.accessControlExposeHeaders = body.strings("accessControlExposeHeaders", &log) ?? []
        headers.accessControlMaxAge = body.integer("accessControlMaxAge", &log)
        headers.addVaryHeader = body.bool("addVaryHeader", &log) ?? false
        headers.allowedHosts = body.strings("allowedHosts", &log) ?? []
        headers.hostsProxyHeaders = body.strings("hostsProxyHeaders", &log) ?? []
        headers.sslProxyHeaders = body.stringMap("sslProxyHeaders", &log) ?? []
        headers.stsSeconds = body.integer("stsSeconds", in: 0...Int64(Int32.max), &log) ?? 0
        headers.stsIncludeSubdomains = body.bool("stsIncludeSubdomains", &log) ?? false
        headers.stsPreload = body.bool("stsPreload", &log) ?? false
        headers.forceSTSHeader = body.bool("forceSTSHeader", &log) ?? false
        headers.frameDeny = body.bool("frameDeny", &log) ?? false
        headers.customFrameOptionsValue = body.string("customFrameOptionsValue", &log)
        headers.contentTypeNosniff = body.bool("contentTypeNosniff", &log) ?? false
        headers.browserXssFilter = body.bool("browserXssFilter", &log) ?? false
        headers.customBrowserXSSValue = body.string("customBrowserXSSValue", &log)
        headers.contentSecurityPolicy = body.string("contentSecurityPolicy", &log)
        headers.contentSecurityPolicyReportOnly = body.string("contentSecurityPolicyReportOnly", &log)
        headers.publicKey = body.string("publicKey", &log)
        headers.referrerPolicy = body.string("referrerPolicy", &log)
        headers.permissionsPolicy = body.string("permissionsPolicy", &log)
        headers.isDevelopment = body.bool("isDevelopment", &log) ?? false
        return headers
    }
}
