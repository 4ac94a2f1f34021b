// Traefik's `addPrefix` middleware (pkg/middlewares/addprefix).

/// `addPrefix`: puts a prefix before the path.
final class AddPrefixMiddleware: HTTPMiddleware {
    let name: String
    let prefix: String
    init(name: String, prefix: String) {
        self.name = name
        self.prefix = prefix
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        forward.path = prefix + forward.path
        return nil
    }
}
