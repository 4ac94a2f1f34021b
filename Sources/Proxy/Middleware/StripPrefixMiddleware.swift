// Traefik's `stripPrefix` middleware (pkg/middlewares/stripprefix).

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

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
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
