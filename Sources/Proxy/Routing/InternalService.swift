// Traefik's internal services (`NAME@internal`): answered by stoep itself instead of a backend. A router may
// name one (`service: api@internal` behind basicAuth, as the fixtures do), and `api.insecure` /
// `metrics.prometheus` attach them to the `traefik` entry point without a router.
import Reactor

public enum InternalService: String, Sendable, CaseIterable {
    /// The read-only JSON API and (with `api.dashboard`) the dashboard page.
    case api = "api@internal"
    case dashboard = "dashboard@internal"
    /// The Prometheus exposition.
    case prometheus = "prometheus@internal"
    /// Answers 418 to everything (Traefik's noop handler; used by redirect-only routers).
    case noop = "noop@internal"
}

/// What an internal service is asked: the request after the router's middlewares (stripPrefix…).
public struct InternalRequest: Sendable {
    public let method: String
    public let path: String
    public let query: String
    public let host: String
    /// True when answered on the `api.insecure` entry point without a router (Traefik's own routers).
    public let direct: Bool
}

public struct InternalResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Go's http.NotFound, as Traefik's internal handlers answer.
    public static var notFound: InternalResponse {
        InternalResponse(status: 404, headers: [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")],
                         body: Array("404 page not found\n".utf8))
    }
}

extension HTTPSession {
    /// Answers `request` with the internal `service` (404 when it is not configured).
    func answerInternal(_ service: InternalService, _ request: InternalRequest, headOnly: Bool, close: Bool) {
        var answer = InternalResponse.notFound
        switch service {
        case .prometheus:
            if let render = proxy.prometheusRender {
                answer = InternalResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: render())
            }
        case .noop:
            answer = InternalResponse(status: 418, body: [])
        case .api, .dashboard:
            if let handler = proxy.apiHandler { answer = handler(request) }
        }
        var w = HTTPHeaderWriter()
        w.statusLine(answer.status)
        for (name, value) in answer.headers { _ = w.field(name, value) }
        _ = w.field("Content-Length", UInt64(answer.body.count))
        var bytes = w.finished()
        if !headOnly { bytes += answer.body }
        respond(bytes, status: answer.status, close: close)
    }
}
