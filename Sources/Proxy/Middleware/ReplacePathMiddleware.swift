// Traefik's `replacePath` middleware (pkg/middlewares/replacepath/replace_path.go).

/// `replacePath`: the path goes upstream as `path`; the path it replaces (escaped, as it came) is added in
/// X-Replaced-Path. The configured path is Go's RawPath: a path with a bad escape is answered 500 with
/// Go's unescape error, one with characters a path may not carry raw goes upstream escaped.
final class ReplacePathMiddleware: HTTPMiddleware {
    let name: String
    let path: String
    init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        switch GoURLPath.unescape(path) {
        case .failure(let e):
            // Traefik adds the header, fails to unescape, then answers http.Error(err.Error(), 500).
            return .goError(500, e.description)
        case .success(let unescaped):
            forward.addHeaders.append(("X-Replaced-Path", forward.path))
            forward.path = GoURLPath.escapedPath(raw: path, unescaped: unescaped)
            return nil
        }
    }
}
