// Traefik's `headers` middleware (pkg/middlewares/headers): two handlers in Traefik's order. The outer one
// (header.go) answers CORS preflights, sets customRequestHeaders and, on the way back, the custom
// response and CORS headers; the inner one (secure.go over unrolled/secure v1.0.9,
// SecureHeadersPolicy.swift) checks allowedHosts and adds the security headers. Response-side headers are
// collected inner first, so a custom response header overrides a security one as in Traefik.
import Config
import Rules

final class HeadersMiddleware: HTTPMiddleware {
    let name: String
    let config: TraefikHeaders
    let originRegexes: [CompiledRegex]
    let secure: SecureHeadersPolicy
    /// customRequestHeaders applied to a request no earlier middleware set headers on: the common case (one
    /// headers middleware on the router), given to the request as these shared arrays, so it allocates
    /// nothing per request (issue 18). Made once by the general loop itself (`applyRequestHeaders`).
    private let requestHeadersAlone: (set: [(name: String, value: String)], remove: Set<String>)
    /// The response headers of the last request, when they depended only on the connection's TLS and the
    /// Origin field (secure reads nothing else of the request: no allowedHosts, hostsProxyHeaders or
    /// sslProxyHeaders). A browser sends the same Origin on every request, so the next one gets these as
    /// they are: no arrays, Set or Strings per request (issue 18).
    private var lastResponseHeaders: (tls: Bool, origin: [UInt8]?, fields: [(name: String, value: String)])?
    private var responseHeadersCacheable: Bool { config.allowedHosts.isEmpty && !secure.needsRequest }

    private init(name: String, config: TraefikHeaders, originRegexes: [CompiledRegex]) {
        self.name = name
        self.config = config
        self.originRegexes = originRegexes
        secure = SecureHeadersPolicy(config)
        var alone = ForwardedRequest(path: "", query: "")
        Self.applyRequestHeaders(config.customRequestHeaders, to: &alone)
        requestHeadersAlone = (alone.setHeaders, alone.removeHeaders)
    }

    /// Go's Header.Set/Del on the request for each custom request header, in order: an earlier middleware's
    /// setting of the name is replaced (an entry point's headers middleware before the router's, one
    /// X-Order left).
    private static func applyRequestHeaders(_ headers: [TraefikKeyValue], to forward: inout ForwardedRequest) {
        for kv in headers {
            let lower = kv.key.lowercased()
            forward.setHeaders.removeAll { $0.name.lowercased() == lower }
            if kv.value.isEmpty {
                forward.removeHeaders.insert(lower)
            } else {
                forward.setHeaders.append((kv.key, kv.value))
            }
        }
    }

    /// Fails as NewHeader does on an origin regex that does not compile.
    static func make(name: String, config: TraefikHeaders) -> Result<HeadersMiddleware, MiddlewareBuilder.Why> {
        var regexes: [CompiledRegex] = []
        for pattern in config.accessControlAllowOriginListRegex {
            do {
                regexes.append(try CompiledRegex(pattern))
            } catch {
                return .failure(MiddlewareBuilder.Why(description: "error occurred during origin parsing: \(pattern): \(error)"))
            }
        }
        return .success(HeadersMiddleware(name: name, config: config, originRegexes: regexes))
    }

    /// HasCorsHeadersDefined.
    var hasCORS: Bool {
        config.accessControlAllowCredentials || !config.accessControlAllowHeaders.isEmpty || !config.accessControlAllowMethods.isEmpty
            || !config.accessControlAllowOriginList.isEmpty || !config.accessControlAllowOriginListRegex.isEmpty
            || !config.accessControlExposeHeaders.isEmpty || config.accessControlMaxAge != nil || config.addVaryHeader
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        if hasCORS, let preflight = preflightResponse(request) { return preflight }
        if forward.setHeaders.isEmpty {
            // Nothing to replace: the result is the one made at start (removals only add to the set).
            forward.setHeaders = requestHeadersAlone.set
            if forward.removeHeaders.isEmpty {
                forward.removeHeaders = requestHeadersAlone.remove
            } else {
                forward.removeHeaders.formUnion(requestHeadersAlone.remove)
            }
        } else {
            Self.applyRequestHeaders(config.customRequestHeaders, to: &forward)
        }
        let tls = scheme == "https"
        // The Origin field's value, as the bytes of the head (the first field: Header.Get).
        let origin = hasCORS ? request.head.fields.first { isNamed($0, "origin", in: request.bytes) }.map { request.bytes[$0.value] } : nil
        if responseHeadersCacheable, let last = lastResponseHeaders, last.tls == tls, Self.same(last.origin, origin) {
            Self.add(last.fields, to: &forward.responseHeaders)
            return nil
        }
        // The inner (secure) handler reads the request as Traefik holds it: the custom headers set, the entry
        // point's X-Forwarded-* in it (built only when an option reads a field).
        let fields = secure.needsRequest ? GoHeaderList.traefikRequestHeaders(
            request, forward, peerIP: request.clientIP.map { "\($0)" } ?? "", tls: scheme == "https", serverName: "") : GoHeaderList()
        var out: [(name: String, value: String)]
        switch secure.check(host: request.hostHeader, header: { fields.values($0).first }, tls: scheme == "https") {
        case .refused(let answer): return answer
        case .headers(let secureFields): out = secureFields
        }
        // PostRequestModifyResponseHeaders, after the inner handler's.
        out += config.customResponseHeaders.map { (name: $0.key, value: $0.value) }
        if hasCORS {
            if let allowed = matchOrigin(request.header("Origin") ?? "") { out.append(("Access-Control-Allow-Origin", allowed)) }
            if config.accessControlAllowCredentials { out.append(("Access-Control-Allow-Credentials", "true")) }
            if let expose = exposeHeaders { out.append(("Access-Control-Expose-Headers", expose)) }
            if config.addVaryHeader { out.append(("Vary", "Origin")) }
        }
        // Go's Header.Set: the last setting of a name wins.
        var seen: Set<String> = []
        let last = Array(out.reversed().filter { seen.insert($0.name.lowercased()).inserted }.reversed())
        if responseHeadersCacheable { lastResponseHeaders = (tls, origin.map { Array($0) }, last) }
        Self.add(last, to: &forward.responseHeaders)
        return nil
    }

    /// Appends `fields`; into an empty list, shares them instead (no copy).
    private static func add(_ fields: [(name: String, value: String)], to list: inout [(name: String, value: String)]) {
        if list.isEmpty { list = fields } else { list += fields }
    }

    private static func same(_ kept: [UInt8]?, _ origin: ArraySlice<UInt8>?) -> Bool {
        switch (kept, origin) {
        case (nil, nil): return true
        case (let a?, let b?): return a.elementsEqual(b)
        default: return false
        }
    }
}

extension HeadersMiddleware {
    /// matchOrigin: the list in order ("*" answers "*", or the origin itself with credentials), then the
    /// regexes; nil when nothing matches.
    func matchOrigin(_ origin: String) -> String? {
        for item in config.accessControlAllowOriginList {
            if item == origin { return item }
            if item == "*" { return config.accessControlAllowCredentials ? origin : item }
        }
        return originRegexes.contains { $0.matches(origin) } ? origin : nil
    }

    /// Access-Control-Expose-Headers unless it is "*" with credentials (not allowed together).
    var exposeHeaders: String? {
        let list = config.accessControlExposeHeaders
        guard !list.isEmpty, !(list.contains("*") && config.accessControlAllowCredentials) else { return nil }
        return list.joined(separator: ",")
    }

    /// A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here, as
    /// processCorsHeaders does: 200, Content-Length 0, the allowed credentials, headers, methods, origin,
    /// max age and exposed headers; the backend never sees it.
    func preflightResponse(_ request: RequestView) -> LocalResponse? {
        guard request.head.knownMethod == .options, let origin = request.header("Origin"), !origin.isEmpty,
              let method = request.header("Access-Control-Request-Method"), !method.isEmpty else { return nil }
        var fields: [(name: String, value: String)] = []
        if config.accessControlAllowCredentials { fields.append(("Access-Control-Allow-Credentials", "true")) }
        let headers = config.accessControlAllowHeaders
        if headers.contains("*") && config.accessControlAllowCredentials {
            if let asked = request.header("Access-Control-Request-Headers"), !asked.isEmpty {
                fields.append(("Access-Control-Allow-Headers", asked))
            }
        } else if !headers.isEmpty {
            fields.append(("Access-Control-Allow-Headers", headers.joined(separator: ",")))
        }
        let methods = config.accessControlAllowMethods
        if methods.contains("*") && config.accessControlAllowCredentials {
            fields.append(("Access-Control-Allow-Methods", method))
        } else if !methods.isEmpty {
            fields.append(("Access-Control-Allow-Methods", methods.joined(separator: ",")))
        }
        if let allowed = matchOrigin(origin) { fields.append(("Access-Control-Allow-Origin", allowed)) }
        if let age = config.accessControlMaxAge { fields.append(("Access-Control-Max-Age", String(age))) }
        if let expose = exposeHeaders { fields.append(("Access-Control-Expose-Headers", expose)) }
        return LocalResponse(status: 200, fields: fields)
    }
}
