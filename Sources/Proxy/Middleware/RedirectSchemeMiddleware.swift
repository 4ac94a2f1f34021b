// Traefik's `redirectScheme` middleware (pkg/middlewares/redirect/redirect_scheme.go), also used for the
// entry points' `http.redirections`.
import Config

/// `redirectScheme`: permanent → 301 for GET / 308 otherwise; temporary → 302 / 307 (redirect.go).
final class RedirectSchemeMiddleware: HTTPMiddleware {
    let name: String
    let config: TraefikRedirectScheme
    init(name: String, config: TraefikRedirectScheme) {
        self.name = name
        self.config = config
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        guard scheme != config.scheme else { return nil }
        var host = request.hostHeader
        if host.hasPrefix("[") {
            if let close = host.firstIndex(of: "]") { host = String(host[...close]) }
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        var port = config.port.map { ":\($0)" } ?? ""
        if (config.scheme == "https" && port == ":443") || (config.scheme == "http" && port == ":80") { port = "" }
        let target = request.pathAndQuery
        let location = "\(config.scheme)://\(host)\(port)\(target.path)\(target.query.isEmpty ? "" : "?" + target.query)"
        let isGet = request.head.knownMethod == .get
        let status = config.forcePermanentRedirect ? 308 : config.permanent ? (isGet ? 301 : 308) : (isGet ? 302 : 307)
        return .redirect(status, location: location)
    }
}
