// Traefik's `forwardAuth` middleware (pkg/middlewares/auth/forward.go, 3.7): before the request goes on,
// its headers (ForwardAuthRequest.swift) go to the auth server in a body-less GET (or the request's own
// method with preserveRequestMethod). A 2xx lets the request through with the auth answer's
// authResponseHeaders / authResponseHeadersRegex copied into it and, with addAuthCookiesToResponse, the
// named cookies of the auth answer set on the backend's response; any other status is the client's
// answer — status, headers and body, Location resolved against the auth address — and an auth server
// that cannot be reached (or answers nothing whole within 30 s, Go's client Timeout) makes it 500.
//
// The exchange runs on the loop while the session holds the request (HTTPSession+ForwardAuth.swift):
// `handle` only marks the request, so the session knows to ask.
import Config
import HTTP
import HTTPClient
import PKI
import Reactor
import Rules

final class ForwardAuthMiddleware: HTTPMiddleware {
    let name: String
    let config: TraefikForwardAuth
    let url: HTTPURL
    /// The address's authority as written (Go's URL.Host): the auth request's Host.
    let authority: String
    let addresses: [HTTPClientAddress]
    let tls: (context: TLSClientContext, serverName: String)?
    let responseHeadersRegex: CompiledRegex?
    /// authRequestHeaders, plus the managed X-headers when trustForwardHeader is true (NewForward).
    let requestHeaders: [String]
    let cookieNames: Set<String>
    /// Traefik reads the auth answer without a bound unless maxResponseBodySize is set; stoep keeps it in
    /// memory on a loop shared by every connection, so it bounds it at 4 MiB (an auth page is a few KiB).
    let responseLimit: Int

    static let unboundedResponseLimit = 4 << 20
    /// Go's http.Client Timeout in NewForward.
    static let timeout: UInt64 = 30_000_000_000

    struct Why: Error, CustomStringConvertible { let description: String }

    private init(name: String, config: TraefikForwardAuth, url: HTTPURL, authority: String, address: SocketAddress,
                 tls: (context: TLSClientContext, serverName: String)?, regex: CompiledRegex?) {
        self.name = name
        self.config = config
        self.url = url
        self.authority = authority
        addresses = [.ip(address)]
        self.tls = tls
        responseHeadersRegex = regex
        var headers = config.authRequestHeaders
        if config.trustForwardHeader == true && !headers.isEmpty {
            headers += ["X-Forwarded-Proto", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Server",
                        "X-Forwarded-Uri", "X-Forwarded-Method", "X-Forwarded-Prefix", "X-Forwarded-Tls-Client-Cert",
                        "X-Forwarded-Tls-Client-Cert-Info", "X-Real-Ip"]
        }
        requestHeaders = headers
        cookieNames = Set(config.addAuthCookiesToResponse)
        responseLimit = config.maxResponseBodySize.map { Int(clamping: $0) } ?? Self.unboundedResponseLimit
    }

    /// Builds the middleware at configuration load: the address's host resolved now (blocking, never on
    /// the loop: a name is resolved once, as for servers), the TLS client context made, the regex compiled.
    static func make(name: String, config: TraefikForwardAuth) -> Result<ForwardAuthMiddleware, Why> {
        guard let url = HTTPURL(config.address) else { return .failure(Why(description: "address \(config.address): not an http(s) URL")) }
        guard let address = SocketAddress(host: url.host, port: url.port) ?? SocketAddress.resolving(host: url.host, port: url.port) else {
            return .failure(Why(description: "address \(config.address): cannot resolve \(url.host)"))
        }
        var rest = config.address.drop { $0 != "/" }.dropFirst(2)
        rest = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let authority = String(rest.split(separator: "@").last ?? rest)
        var tls: (context: TLSClientContext, serverName: String)? = nil
        if url.tls {
            do {
                let t = config.tls ?? TraefikClientTLS()
                let context = t.insecureSkipVerify || t.ca.isEmpty
                    ? try TLSClientContext(verify: !t.insecureSkipVerify)
                    : try TLSClientContext(rootCAFiles: [t.ca], systemRoots: false)  // Go's RootCAs: the CA alone
                if !t.cert.isEmpty { try context.useCertificate(chainFile: t.cert, keyFile: t.key) }
                tls = (context, url.host)
            } catch {
                return .failure(Why(description: "unable to create client TLS configuration: \(error)"))
            }
        }
        var regex: CompiledRegex? = nil
        if !config.authResponseHeadersRegex.isEmpty {
            do {
                regex = try CompiledRegex(config.authResponseHeadersRegex)
            } catch {
                return .failure(Why(description: "error compiling regular expression \(config.authResponseHeadersRegex): \(error)"))
            }
        }
        return .success(ForwardAuthMiddleware(name: name, config: config, url: url, authority: authority, address: address,
                                              tls: tls, regex: regex))
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        forward.authCheck = self
        return nil
    }

    /// The request to the auth server for `view` as the middlewares before this one left it.
    func authRequest(_ view: RequestView, _ forward: ForwardedRequest, peerIP: String, tls: Bool, serverName: String) -> HTTPClientRequest {
        let incoming = GoHeaderList.traefikRequestHeaders(view, forward, peerIP: peerIP, tls: tls, serverName: serverName)
        let uri = (forward.path.isEmpty ? "/" : forward.path) + (forward.query.isEmpty ? "" : "?" + forward.query)
        var h = authRequestHeaders(incoming, view: view, uri: uri, peerIP: peerIP, tls: tls)
        // Go's client: its own User-Agent when the map has none, none when it holds ""; Basic credentials
        // from the address's user info when no Authorization is set.
        if !h.has("User-Agent") { h.set("User-Agent", "Go-http-client/1.1") }
        if let info = url.userInfo, !h.has("Authorization") {
            h.set("Authorization", "Basic " + Base64.encode(Array("\(info.user):\(info.password)".utf8)))
        }
        let fields = h.fields.filter { !($0.name.lowercased() == "user-agent" && $0.value.isEmpty) }
        // Methods stoep's client does not write (CONNECT, TRACE, extension methods) are asked with GET.
        let kept: [HTTPMethod] = [.get, .head, .post, .put, .delete, .patch, .options]
        let method = config.preserveRequestMethod && kept.contains(view.head.knownMethod) ? view.head.knownMethod : .get
        return HTTPClientRequest(method, target: url.target, host: authority, headers: fields)
    }

    /// What the auth server's answer (or failure) means: the client's response, or nil to go on with
    /// `forward` changed.
    func verdict(_ result: Result<HTTPClientResponse, HTTPClientError>, _ forward: inout ForwardedRequest) -> LocalResponse? {
        let answer: HTTPClientResponse
        switch result {
        case .success(let a): answer = a
        case .failure(let e): return LocalResponse(status: e.bodyTooLarge ? 401 : 500)
        }
        let fields = answer.fields.map { (name: GoHeaderList.canonical($0.name), value: $0.value) }
        if !config.authSigninURL.isEmpty && answer.status == 401 {
            return Self.found(config.authSigninURL)
        }
        guard (200..<300).contains(answer.status) else {
            let hop: Set<String> = ["connection", "keep-alive", "te", "trailers", "transfer-encoding", "upgrade", "content-length"]
            var out = fields.filter { !hop.contains($0.name.lowercased()) }
            if let location = fields.first(where: { $0.name == "Location" })?.value {
                let resolved = config.preserveLocationHeader ? location : resolved(location)
                out.removeAll { $0.name == "Location" }
                out.append(("Location", resolved))
            }
            return LocalResponse(status: answer.status, fields: out, body: answer.body)
        }
        for name in config.authResponseHeaders {
            let lower = name.lowercased()
            forward.setHeaders.removeAll { $0.name.lowercased() == lower }
            forward.addHeaders.removeAll { $0.name.lowercased() == lower }
            forward.removeHeaders.insert(lower)
            let canonical = GoHeaderList.canonical(name)
            for f in fields where f.name == canonical { forward.addHeaders.append((canonical, f.value)) }
        }
        if let regex = responseHeadersRegex {
            forward.removeHeadersMatching.append(regex)
            forward.setHeaders.removeAll { regex.matches(GoHeaderList.canonical($0.name)) }
            forward.addHeaders.removeAll { regex.matches(GoHeaderList.canonical($0.name)) }
            for f in fields where regex.matches(f.name) { forward.addHeaders.append((f.name, f.value)) }
        }
        if !cookieNames.isEmpty {
            let cookies = fields.filter { $0.name == "Set-Cookie" }.map(\.value)
                .filter { AuthCookies.name(of: $0).map(cookieNames.contains) ?? false }
            if fields.contains(where: { $0.name == "Set-Cookie" }) {
                forward.authCookies = AuthCookies(names: cookieNames, cookies: cookies)
            }
        }
        return nil
    }

    /// Go's Response.Location: a Location relative to the auth address made absolute (RFC 3986 §5.2, without
    /// dot-segment removal beyond what a browser would do with the same reference).
    func resolved(_ location: String) -> String {
        let scheme = url.tls ? "https" : "http"
        if let colon = location.firstIndex(of: ":"), !location[..<colon].contains("/"), !location[..<colon].isEmpty { return location }
        if location.hasPrefix("//") { return scheme + ":" + location }
        if location.hasPrefix("/") { return "\(scheme)://\(authority)\(location)" }
        if location.hasPrefix("?") { return "\(scheme)://\(authority)\(url.path.isEmpty ? "/" : url.path)\(location)" }
        let directory = url.path.lastIndex(of: "/").map { String(url.path[...$0]) } ?? "/"
        return "\(scheme)://\(authority)\(directory)\(location)"
    }

    /// Go's http.Redirect with 302 as Traefik's handlers write it: Location with non-ASCII bytes escaped
    /// (hexEscapeNonASCII), no body — the Content-Type entry Traefik puts in every response's header map
    /// to turn sniffing off counts as "had a Content-Type", which is what makes Go write its HTML link.
    static func found(_ location: String) -> LocalResponse {
        var escaped = ""
        for b in location.utf8 {
            if b < 0x80 { escaped.append(Character(Unicode.Scalar(b))) } else { escaped += "%" + String(b, radix: 16, uppercase: false) }
        }
        return .redirect(302, location: escaped)
    }
}

/// addAuthCookiesToResponse applied to the backend's answer (buildModifier): its Set-Cookie fields whose
/// cookie name is listed are dropped, the auth server's listed cookies added after the rest.
struct AuthCookies {
    let names: Set<String>
    let cookies: [String]

    /// The Set-Cookie fields the client gets instead of the backend's.
    func fields(replacing backend: [String]) -> [(name: String, value: String)] {
        backend.filter { Self.name(of: $0).map { !names.contains($0) } ?? true }.map { ("Set-Cookie", $0) }
            + cookies.map { ("Set-Cookie", $0) }
    }

    /// A Set-Cookie value's cookie name: up to "=" in its first part, trimmed (Go's readSetCookies).
    static func name(of value: String) -> String? {
        guard let first = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first,
              let eq = first.firstIndex(of: "=") else { return nil }
        let name = first[..<eq].trimmingCharacters(" \t")
        return name.isEmpty ? nil : name
    }
}
