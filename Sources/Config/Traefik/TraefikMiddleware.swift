import Glibc

// `http.middlewares.NAME` (and `tcp.middlewares.NAME`): exactly one type per middleware. Types stoep
// cannot run are split by what skipping them would do: those that only tune delivery would be kept as
// `.ignored` with a warning, so routers using them still work (none is left today); those that
// guard or change what is served (plugin, passTLSClientCert, grpcWeb) are
// errors, which drops the middleware and so every router using it — failing closed, never open.

public struct TraefikMiddleware: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case basicAuth(TraefikBasicAuth)
        case headers(TraefikHeaders)
        /// Strip the first matching plain-string prefix; `forceSlash` keeps the result starting with '/'.
        case stripPrefix(prefixes: [String], forceSlash: Bool)
        case stripPrefixRegex(regex: [String])
        case addPrefix(String)
        case redirectScheme(TraefikRedirectScheme)
        case redirectRegex(TraefikRedirectRegex)
        /// `ipAllowList`, or v2's `ipWhiteList`.
        case ipAllowList(TraefikIPAllowList)
        /// Qualified middleware names, run in order.
        case chain([String])
        /// `buffering`: the request body is read whole before going on, bounded by `maxRequestBodyBytes` (413 past it).
        case buffering(maxRequestBodyBytes: Int64)
        /// `compress`: gzip, br, zstd as Traefik 3.7 negotiates them.
        case compress(TraefikCompress)
        /// `circuitBreaker`: oxy's breaker on the router's own metrics.
        case circuitBreaker(TraefikCircuitBreaker)
        /// `replacePath`: the whole path becomes this one; the old one goes upstream in X-Replaced-Path.
        case replacePath(String)
        /// `replacePathRegex` (both strings trimmed of spaces, as Traefik does).
        case replacePathRegex(regex: String, replacement: String)
        /// `contentType`: nil or true turns Go's content sniffing back on for responses without a
        /// Content-Type; false (deprecated in Traefik 3) changes nothing.
        case contentType(autoDetect: Bool?)
        case rateLimit(TraefikRateLimit)
        case inFlightReq(TraefikInFlightReq)
        case retry(TraefikRetry)
        case errors(TraefikErrorPage)
        case forwardAuth(TraefikForwardAuth)
        case digestAuth(TraefikDigestAuth)
        /// A type stoep does not implement whose absence only changes delivery (named as written).
        case ignored(String)
        /// `tcp.middlewares.NAME.inFlightConn.amount`: open connections allowed per client IP.
        case inFlightConn(amount: Int64)
    }

    /// Qualified ("auth@file").
    public var name: String
    public var kind: Kind
    public var location: SourceLocation

    public init(name: String, kind: Kind, location: SourceLocation) {
        self.name = name
        self.kind = kind
        self.location = location
    }
}

public struct TraefikBasicAuth: Sendable, Hashable {
    /// "name:hash" entries (htpasswd lines); `usersFile` lines are merged by the proxy, `users` win.
    public var users: [String]
    public var usersFile: String?
    public var realm: String
    /// Drop the Authorization header before forwarding.
    public var removeHeader: Bool
    /// Header to carry the authenticated user name upstream.
    public var headerField: String?

    public init(users: [String] = [], usersFile: String? = nil, realm: String = "traefik", removeHeader: Bool = false, headerField: String? = nil) {
        self.users = users
        self.usersFile = usersFile
        self.realm = realm
        self.removeHeader = removeHeader
        self.headerField = headerField
    }
}

public struct TraefikRedirectScheme: Sendable, Hashable {
    public var scheme: String
    /// Port for the Location header; nil = the scheme's default (omitted).
    public var port: String?
    /// 301/308 instead of 302/307.
    public var permanent: Bool
    /// Always 308.
    public var forcePermanentRedirect: Bool

    public init(scheme: String, port: String? = nil, permanent: Bool = false, forcePermanentRedirect: Bool = false) {
        self.scheme = scheme
        self.port = port
        self.permanent = permanent
        self.forcePermanentRedirect = forcePermanentRedirect
    }
}

public struct TraefikRedirectRegex: Sendable, Hashable {
    public var regex: String
    public var replacement: String
    public var permanent: Bool

    public init(regex: String, replacement: String, permanent: Bool = false) {
        self.regex = regex
        self.replacement = replacement
        self.permanent = permanent
    }
}

public struct TraefikIPAllowList: Sendable, Hashable {
    /// IPs and CIDRs, checked with inet_pton.
    public var sourceRange: [String]
    /// nil = use the TCP peer address.
    public var ipStrategy: TraefikIPStrategy?
    public var rejectStatusCode: Int64

    public init(sourceRange: [String], ipStrategy: TraefikIPStrategy? = nil, rejectStatusCode: Int64 = 403) {
        self.sourceRange = sourceRange
        self.ipStrategy = ipStrategy
        self.rejectStatusCode = rejectStatusCode
    }
}

/// How to pick the client IP from X-Forwarded-For.
public struct TraefikIPStrategy: Sendable, Hashable {
    /// nth address from the right of X-Forwarded-For; 0 = unused.
    public var depth: Int64
    public var excludedIPs: [String]
    public var ipv6Subnet: Int64?

    public init(depth: Int64 = 0, excludedIPs: [String] = [], ipv6Subnet: Int64? = nil) {
        self.depth = depth
        self.excludedIPs = excludedIPs
        self.ipv6Subnet = ipv6Subnet
    }
}

extension TraefikMiddleware {
    static let supportedTypes = ["basicAuth", "headers", "stripPrefix", "stripPrefixRegex", "addPrefix", "redirectScheme", "redirectRegex",
                                 "ipAllowList", "ipWhiteList", "chain", "buffering", "replacePath", "replacePathRegex",
                                 "contentType", "rateLimit", "inFlightReq", "retry", "errors", "forwardAuth", "digestAuth",
                                 "compress", "circuitBreaker"]
    static let ignoredTypes: [String] = []
    static let refusedTypes = ["plugin", "passTLSClientCert", "grpcWeb"]
    static let tcpTypes = ["ipAllowList", "ipWhiteList", "inFlightConn"]

    /// Decodes one middleware; `tcp` selects the TCP middleware vocabulary (ipAllowList, inFlightConn).
    static func decode(name: String, _ section: TraefikSection, scope: TraefikScope, tcp: Bool = false, log: inout TraefikIssueLog) -> TraefikMiddleware? {
        log.decodeEntry { log in
            scope.checkName(name, section, &log)
            let known = tcp ? tcpTypes : supportedTypes + ignoredTypes + refusedTypes
            guard section.entries.count == 1, let entry = section.entries.first else {
                let message = section.entries.isEmpty ? "middleware has no type; expected one of: \(known.joined(separator: ", "))"
                    : "middleware has several types (\(section.entries.map(\.key).joined(separator: ", "))); expected exactly one"
                log.error(section.location, section.path, message)
                return nil
            }
            guard let type = known.first(where: { $0.lowercased() == entry.key.lowercased() }) else {
                var message = "unknown middleware type '\(entry.key)'"
                if let guess = KeySuggestion.closest(to: entry.key, among: known) { message += " (did you mean '\(guess)'?)" }
                log.error(entry.node.location, section.path(entry.key), message)
                return nil
            }
            let typePath = section.path(entry.key)
            if ignoredTypes.contains(type) {
                log.warning(entry.node.location, typePath, "the \(type) middleware is not supported by stoep yet; requests pass through without it")
                return TraefikMiddleware(name: scope.qualify(name), kind: .ignored(type), location: section.location)
            }
            if refusedTypes.contains(type) {
                log.error(entry.node.location, typePath, "the \(type) middleware is not supported by stoep yet; this middleware (and routers using it) are not served")
                return nil
            }
            if type == "ipWhiteList" {
                log.warning(entry.node.location, typePath, "ipWhiteList was renamed ipAllowList in Traefik v3; accepted with the same options")
            }
            guard let body = section.section(entry.key, &log) else { return nil }
            return decodeKind(type, body, scope: scope, tcp: tcp, log: &log).map { TraefikMiddleware(name: scope.qualify(name), kind: $0, location: section.location) }
        }
    }

    private static func decodeKind(_ type: String, _ body: TraefikSection, scope: TraefikScope, tcp: Bool, log: inout TraefikIssueLog) -> Kind? {
        switch type {
        case "basicAuth":
            body.warnUnknownKeys(allowed: ["users", "usersFile", "realm", "removeHeader", "headerField"], log: &log)
            var auth = TraefikBasicAuth()
            auth.users = body.strings("users", &log) ?? []
            for (index, user) in auth.users.enumerated() where user.split(separator: ":", omittingEmptySubsequences: false).count != 2 {
                log.error(body.node("users")?.location ?? body.location, "\(body.path("users"))[\(index)]", "expected \"name:hash\" (an htpasswd line), found \"\(user)\"")
            }
            auth.usersFile = body.string("usersFile", &log)
            if auth.users.isEmpty && auth.usersFile == nil {
                log.error(body.location, body.path("users"), "basicAuth has neither users nor usersFile")
            }
            auth.realm = body.string("realm", &log) ?? auth.realm
            auth.removeHeader = body.bool("removeHeader", &log) ?? false
            auth.headerField = body.string("headerField", &log)
            return .basicAuth(auth)
        case "headers":
            return .headers(TraefikHeaders.decode(body, log: &log))
        case "buffering":
            body.warnUnknownKeys(allowed: ["maxRequestBodyBytes", "memRequestBodyBytes", "maxResponseBodyBytes",
                                           "memResponseBodyBytes", "retryExpression"], log: &log)
            // memRequestBodyBytes/memResponseBodyBytes only choose where oxy keeps a body (memory, then a
            // temporary file): nothing a client or server sees. stoep keeps a held request body in memory, so
            // maxRequestBodyBytes must bound it. A response limit and retries need the response held, which
            // stoep does not do: refused.
            for key in ["maxResponseBodyBytes", "retryExpression"] where body.node(key) != nil {
                log.error(body.node(key)?.location ?? body.location, body.path(key),
                          "not supported by stoep: it streams responses instead of holding them, so they can be neither limited nor retried")
            }
            let max = body.integer("maxRequestBodyBytes", in: 0...Int64.max, &log) ?? 0
            if max == 0 {
                log.error(body.node("maxRequestBodyBytes")?.location ?? body.location, body.path("maxRequestBodyBytes"),
                          "required by stoep (and not 0): it holds a buffered request body in memory, so it needs a bound (Traefik's 0 means unlimited, kept on disk past memRequestBodyBytes)")
            }
            return .buffering(maxRequestBodyBytes: max)
        case "stripPrefix":
            body.warnUnknownKeys(allowed: ["prefixes", "forceSlash"], log: &log)
            return .stripPrefix(prefixes: body.strings("prefixes", &log) ?? [], forceSlash: body.bool("forceSlash", &log) ?? false)
        case "stripPrefixRegex":
            body.warnUnknownKeys(allowed: ["regex"], log: &log)
            return .stripPrefixRegex(regex: body.strings("regex", &log) ?? [])
        case "addPrefix":
            body.warnUnknownKeys(allowed: ["prefix"], log: &log)
            guard let prefix = required("prefix", body, "a path prefix like \"/api\"", &log) else { return nil }
            return .addPrefix(prefix)
        case "redirectScheme":
            body.warnUnknownKeys(allowed: ["scheme", "port", "permanent", "forcePermanentRedirect"], log: &log)
            guard let scheme = required("scheme", body, "\"https\" or \"http\"", &log) else { return nil }
            return .redirectScheme(TraefikRedirectScheme(scheme: scheme, port: body.string("port", &log), permanent: body.bool("permanent", &log) ?? false,
                                                         forcePermanentRedirect: body.bool("forcePermanentRedirect", &log) ?? false))
        case "redirectRegex":
            body.warnUnknownKeys(allowed: ["regex", "replacement", "permanent"], log: &log)
            guard let regex = required("regex", body, "a regular expression", &log),
                  let replacement = required("replacement", body, "a replacement URL", &log) else { return nil }
            return .redirectRegex(TraefikRedirectRegex(regex: regex, replacement: replacement, permanent: body.bool("permanent", &log) ?? false))
        case "compress":
            return TraefikCompress.decode(body, log: &log).map(Kind.compress)
        case "circuitBreaker":
            return TraefikCircuitBreaker.decode(body, log: &log).map(Kind.circuitBreaker)
        case "replacePath":
            body.warnUnknownKeys(allowed: ["path"], log: &log)
            // Traefik takes an absent or empty path as it is: the request goes upstream for "/" (Go writes
            // an empty path as "/").
            return .replacePath(body.string("path", &log) ?? "")
        case "replacePathRegex":
            body.warnUnknownKeys(allowed: ["regex", "replacement"], log: &log)
            return .replacePathRegex(regex: (body.string("regex", &log) ?? "").trimmingSpaces(),
                                     replacement: (body.string("replacement", &log) ?? "").trimmingSpaces())
        case "contentType":
            body.warnUnknownKeys(allowed: ["autoDetect"], log: &log)
            let autoDetect = body.bool("autoDetect", &log)
            if autoDetect != nil {
                log.warning(body.node("autoDetect")?.location ?? body.location, body.path(body.writtenKey("autoDetect")),
                            "AutoDetect option is deprecated, Content-Type middleware is only meant to be used to enable the content-type detection, please remove any usage of this option.")
            }
            return .contentType(autoDetect: autoDetect)
        case "rateLimit":
            return decodeRateLimit(body, log: &log)
        case "inFlightReq":
            return decodeInFlightReq(body, log: &log)
        case "retry":
            return decodeRetry(body, log: &log)
        case "errors":
            return decodeErrorPage(body, scope: scope, log: &log)
        case "inFlightConn":
            // Traefik's TCPInFlightConn: `amount` connections per remote IP (pkg/middlewares/tcp/inflightconn).
            // Traefik takes any int64 and refuses every connection at 0 or below; a positive amount is asked
            // for here, as a middleware that refuses everything is a configuration mistake.
            body.warnUnknownKeys(allowed: ["amount"], log: &log)
            guard body.node("amount") != nil else {
                log.error(body.location, body.path("amount"), "missing amount; expected the number of connections allowed per client IP")
                return nil
            }
            guard let amount = body.integer("amount", in: 1...Int64(Int32.max), &log) else { return nil }
            return .inFlightConn(amount: amount)
        case "forwardAuth":
            return decodeForwardAuth(body, log: &log).map(Kind.forwardAuth)
        case "digestAuth":
            return decodeDigestAuth(body, log: &log).map(Kind.digestAuth)
        case "chain":
            body.warnUnknownKeys(allowed: ["middlewares"], log: &log)
            return .chain((body.strings("middlewares", &log) ?? []).map(scope.qualify))
        default:  // ipAllowList, ipWhiteList
            return decodeAllowList(body, tcp: tcp, log: &log).map(Kind.ipAllowList)
        }
    }

    /// A non-empty string under `key`; its absence or emptiness is an error.
    static func required(_ key: String, _ body: TraefikSection, _ expected: String, _ log: inout TraefikIssueLog) -> String? {
        guard let node = body.node(key) else {
            log.error(body.location, body.path(key), "missing \(key); expected \(expected)")
            return nil
        }
        guard let value = body.string(key, &log) else { return nil }
        guard !value.isEmpty else {
            log.error(node.location, body.path(body.writtenKey(key)), "empty \(key); expected \(expected)")
            return nil
        }
        return value
    }

    private static func decodeAllowList(_ body: TraefikSection, tcp: Bool, log: inout TraefikIssueLog) -> TraefikIPAllowList? {
        body.warnUnknownKeys(allowed: tcp ? ["sourceRange"] : ["sourceRange", "ipStrategy", "rejectStatusCode"], log: &log)
        let ranges = body.strings("sourceRange", &log) ?? []
        if ranges.isEmpty {
            log.error(body.location, body.path("sourceRange"), "sourceRange is empty; expected IPs or CIDRs like \"10.0.0.0/8\"")
        }
        for (index, range) in ranges.enumerated() where !isAddressOrCIDR(range) {
            log.error(body.node("sourceRange")?.location ?? body.location, "\(body.path("sourceRange"))[\(index)]", "expected an IP or CIDR, found \"\(range)\"")
        }
        var allowList = TraefikIPAllowList(sourceRange: ranges)
        allowList.rejectStatusCode = body.integer("rejectStatusCode", in: 100...599, &log) ?? 403
        if !tcp, let strategy = body.section("ipStrategy", &log) {
            strategy.warnUnknownKeys(allowed: ["depth", "excludedIPs", "ipv6Subnet"], log: &log)
            allowList.ipStrategy = TraefikIPStrategy(depth: strategy.integer("depth", in: 0...1024, &log) ?? 0,
                                                     excludedIPs: strategy.strings("excludedIPs", &log) ?? [],
                                                     ipv6Subnet: strategy.integer("ipv6Subnet", in: 0...128, &log))
        }
        return allowList
    }

    /// "10.0.0.1", "10.0.0.0/8", "2001:db8::/32": numeric address with an in-range prefix length.
    static func isAddressOrCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, !text.utf8.contains(0) else { return false }
        let address = String(parts[0])
        var storage = in6_addr()
        let family: Int32 = address.contains(":") ? AF_INET6 : AF_INET
        let valid = withUnsafeMutableBytes(of: &storage) { inet_pton(family, address, $0.baseAddress) == 1 }
        guard valid else { return false }
        guard parts.count == 2 else { return true }
        guard let bits = Int(parts[1]), parts[1].utf8.allSatisfy(\.isDecimalDigit) else { return false }
        return bits >= 0 && bits <= (family == AF_INET6 ? 128 : 32)
    }
}
