// Traefik's `contentType` middleware (pkg/middlewares/contenttype/content_type.go). Traefik 3 turns Go's
// Content-Type sniffing off for every response (DisableAutoDetection); this middleware turns it back on:
// a response without Content-Type then gets the type Go's http.DetectContentType finds in its first
// bytes (ContentSniffer). `autoDetect: false` (deprecated) makes Traefik skip the middleware: nothing
// is built for it (MiddlewareBuilder).

final class ContentTypeMiddleware: HTTPMiddleware {
    let name: String
    init(name: String) { self.name = name }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        forward.sniffContentType = true
        return nil
    }
}
