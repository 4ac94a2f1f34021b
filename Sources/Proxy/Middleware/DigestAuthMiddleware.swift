// Traefik's `digestAuth` middleware (pkg/middlewares/auth/digest_auth.go) over the go-http-auth fork
// Traefik pins (containous/go-http-auth a37a7636, digest.go): RFC 2617 digest, MD5 and qop=auth only.
// The challenge carries a fresh random nonce and the middleware's opaque (random, made once per
// middleware, so a reload makes every client answer a new challenge, as in Traefik); a nonce is known
// only if this middleware issued it, and its nonce count must grow (a repeated count is a replay: 401;
// a smaller one is an out-of-order pipelined request: 401 with `stale="true"`, so the browser retries
// without asking the user again).
import Config
import PKI

final class DigestAuthMiddleware: HTTPMiddleware {
    let name: String
    let realm: String
    let removeHeader: Bool
    /// Upstream header that receives the authenticated user's name; nil for none.
    let headerField: String?
    let opaque: String
    /// "user:realm" → HA1 (hex MD5 of user:realm:password), as Traefik's secretDigest looks them up.
    private let secrets: [String: String]
    private var nonces = DigestNonces()

    private init(name: String, config: TraefikDigestAuth, secrets: [String: String]) {
        self.name = name
        realm = config.realm.isEmpty ? "traefik" : config.realm
        removeHeader = config.removeHeader
        headerField = config.headerField.isEmpty ? nil : config.headerField
        self.secrets = secrets
        opaque = Self.randomKey()
    }

    /// Builds the middleware, reading `usersFile` now (at configuration load, never on the loop): its
    /// lines first, then `users`; a later entry for the same user and realm wins (Traefik's getUsers).
    /// Fails on an unreadable file or an entry that is not exactly "name:realm:hash".
    static func make(name: String, config: TraefikDigestAuth) -> Result<DigestAuthMiddleware, BasicAuthConfigError> {
        var entries: [(text: String, place: String)] = []
        if let path = config.usersFile {
            switch BasicAuthMiddleware.readLines(path) {
            case .success(let lines): entries += lines.map { ($0.text, "usersFile \(path):\($0.line)") }
            case .failure(let why): return .failure(why)
            }
        }
        entries += config.users.enumerated().map { ($0.element, "users[\($0.offset)]") }
        var secrets: [String: String] = [:]
        for entry in entries {
            let parts = entry.text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3 else {
                return .failure(BasicAuthConfigError(description: "\(entry.place): error parsing DigestUser: expected name:realm:hash"))
            }
            secrets["\(parts[0]):\(parts[1])"] = String(parts[2])
        }
        return .success(DigestAuthMiddleware(name: name, config: config, secrets: secrets))
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        switch check(request) {
        case .authenticated(let user):
            if let headerField { forward.setHeaders.append((headerField, user)) }
            if removeHeader { forward.removeHeaders.insert("authorization") }
            return nil
        case .stale:
            return challenge(stale: true)
        case .refused:
            return challenge(stale: false)
        }
    }

    enum Outcome: Equatable {
        case authenticated(String)
        case refused
        case stale
    }

    /// go-http-auth's CheckAuth for this request.
    func check(_ request: RequestView) -> Outcome {
        guard let authorization = request.header("Authorization"), var auth = Self.params(authorization) else { return .refused }
        if auth["algorithm"] == nil { auth["algorithm"] = "MD5" }  // clients that omit it (RFC 2617 §3.2.1)
        guard auth["opaque"] == opaque, auth["algorithm"] == "MD5", auth["qop"] == "auth" else { return .refused }
        let uri = auth["uri"] ?? ""
        if uri != request.target {
            // go-http-auth accepts a uri whose path is a prefix of the request's path ("for some reason
            // lost in history").
            let uriPath = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            guard request.pathAndQuery.path.hasPrefix(uriPath) else { return .refused }
        }
        let user = auth["username"] ?? ""
        let ha1 = secrets["\(user):\(realm)"] ?? ""
        let ha2 = Self.h("\(request.method):\(uri)")
        let nonce = auth["nonce"] ?? "", nc = auth["nc"] ?? "", cnonce = auth["cnonce"] ?? ""
        let expected = Self.h([ha1, nonce, nc, cnonce, "auth", ha2].joined(separator: ":"))
        guard Self.constantTimeEqual(Array(expected.utf8), Array((auth["response"] ?? "").utf8)) else { return .refused }
        // Go's strconv.ParseUint(nc, 16, 64): hex digits only, no sign or prefix.
        guard !nc.isEmpty, nc.allSatisfy(\.isHexDigit), let count = UInt64(nc, radix: 16) else { return .refused }
        switch nonces.use(nonce, count: count) {
        case .fresh: return .authenticated(user)
        case .replayed, .unknown: return .refused
        case .outOfOrder: return .stale
        }
    }

    /// requireAuth: a new nonce remembered, the challenge, "401 Unauthorized\n" as text/plain. Go
    /// canonicalises the header's name to "Www-Authenticate".
    private func challenge(stale: Bool) -> LocalResponse {
        let nonce = Self.randomKey()
        nonces.issue(nonce)
        var value = "Digest realm=\"\(realm)\", nonce=\"\(nonce)\", opaque=\"\(opaque)\", "
        if stale { value += "stale=\"true\", " }
        value += "algorithm=\"MD5\", qop=\"auth\""
        return LocalResponse(status: 401, fields: [("Content-Type", "text/plain"), ("Www-Authenticate", value)],
                             body: Array("401 Unauthorized\n".utf8))
    }

    /// DigestAuthParams: "Digest " (exactly that case) then ParsePairs; nil for another scheme.
    static func params(_ authorization: String) -> [String: String]? {
        guard let space = authorization.firstIndex(of: " "), authorization[..<space] == "Digest" else { return nil }
        var pairs: [String: String] = [:]
        for element in DigestParameterList.split(authorization[authorization.index(after: space)...].trimmingCharacters(" \t")) {
            guard let eq = element.firstIndex(of: "=") else {
                pairs[element] = ""
                continue
            }
            var value = Substring(element[element.index(after: eq)...])
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
            pairs[String(element[..<eq])] = String(value)
        }
        return pairs
    }

    /// go-http-auth's H: lower-case hex MD5.
    static func h(_ text: String) -> String {
        MD5.digest(Array(text.utf8)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// RandomKey: 12 random bytes in padded base64.
    static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64.encode((0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
