// Traefik's `redirectRegex` middleware (pkg/middlewares/redirect/redirect_regex.go), Go's `$1` replacement
// syntax through PCRE2's substitute.
import Rules

/// `redirectRegex`: the request URL (scheme://host/path?query) rewritten by regex → Location.
final class RedirectRegexMiddleware: HTTPMiddleware {
    let name: String
    let regex: CompiledRegex
    let replacement: String
    let permanent: Bool
    init(name: String, regex: CompiledRegex, replacement: String, permanent: Bool) {
        self.name = name
        self.regex = regex
        self.replacement = replacement
        self.permanent = permanent
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        let t = request.pathAndQuery
        let url = "\(scheme)://\(request.hostHeader)\(t.path)\(t.query.isEmpty ? "" : "?" + t.query)"
        guard let location = regex.replacingMatches(in: url, with: replacement), location != url else { return nil }
        let isGet = request.head.knownMethod == .get
        return .redirect(permanent ? (isGet ? 301 : 308) : (isGet ? 302 : 307), location: location)
    }
}
