// The responses stoep answers itself instead of a backend — errors, redirects, auth challenges, CORS
// preflights, internal services — as values: status, head fields, body. Middlewares and internal
// services return them; the session writes them once, byte for byte as Traefik (Go's net/http) does:
// the fields in order, then Content-Length, then `Connection: close` when asked, then the body. Which
// Traefik code path each constructor copies is named on it (reference: traefik-dnsmasq.md §4).
// Go's connection-level answers to heads it cannot read stay in HTTPErrorResponse.forParseError.
import HTTP

public struct LocalResponse: Sendable {
    public var status: Int
    /// Head fields in the order they are written; Content-Length follows them.
    public var fields: [(name: String, value: String)]
    public var body: [UInt8]
    /// Writes `Connection: close` after Content-Length (Go's http.Error for a body it will not read).
    public var closesConnection: Bool

    public init(status: Int, fields: [(name: String, value: String)] = [], body: [UInt8] = [], closesConnection: Bool = false) {
        self.status = status
        self.fields = fields
        self.body = body
        self.closesConnection = closesConnection
    }

    /// Appends the response to `out`, the body only when `headOnly` is false; returns the bytes appended.
    @discardableResult
    func write(into out: inout [UInt8], headOnly: Bool) -> Int {
        var w = HTTPHeaderWriter(reservingCapacity: 128 + 48 * fields.count)
        w.statusLine(status)
        for f in fields { w.field(f.name, f.value) }
        w.field("Content-Length", UInt64(body.count))
        if closesConnection { w.field("Connection", "close") }
        w.finish()
        out += w.bytes
        if !headOnly { out += body }
        return w.bytes.count + (headOnly ? 0 : body.count)
    }

    /// The whole response as bytes (tests, and callers that keep it).
    func bytes(headOnly: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out, headOnly: headOnly)
        return out
    }
}

extension LocalResponse {
    /// Go's http.Error(w, message, status): Content-Type and X-Content-Type-Options, then the message and
    /// a newline as the body.
    static func goError(_ status: Int, _ message: String, closesConnection: Bool = false) -> LocalResponse {
        LocalResponse(status: status, fields: [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")],
                      body: Array((message + "\n").utf8), closesConnection: closesConnection)
    }

    /// 404 for a request no router matches, and from internal handlers: Go's http.NotFound.
    static var notFound: LocalResponse { goError(404, "404 page not found") }

    /// 503 from a service with no healthy server (Traefik wrr.go).
    static var noAvailableServer: LocalResponse { goError(503, "no available server") }

    /// 413 as oxy's SizeErrHandler writes it (`buffering`): only the status text, no Content-Type. The
    /// caller closes the connection after it (the body is not read) without saying so in the head, as Go's
    /// server does when it gives up on an unread body.
    static var requestEntityTooLarge: LocalResponse { statusText(413) }

    /// A handler that writes only the status text: Traefik's proxy ErrorHandler (502, 504, 500) and the
    /// ipAllowList reject (403). No Content-Type, because Traefik 3 turns Go's content sniffing off for
    /// every entry point (contenttype.DisableAutoDetection); the body has no newline.
    static func statusText(_ status: Int) -> LocalResponse {
        LocalResponse(status: status, body: Array((HTTPStatus.reasonPhrase(status) ?? "").utf8))
    }

    /// A handler that only calls WriteHeader(status) (Traefik's denyFragment and encodedCharacters, the
    /// noop@internal service): `Content-Length: 0`, no body.
    static func empty(_ status: Int) -> LocalResponse { LocalResponse(status: status) }

    /// basicAuth refusal (go-http-auth RequireAuth as Traefik configures it): "Content-Type: text/plain",
    /// the challenge (Go canonicalises the name to "Www-Authenticate"), body "401 Unauthorized\n".
    static func unauthorized(realm: String) -> LocalResponse {
        LocalResponse(status: 401, fields: [("Content-Type", "text/plain"), ("Www-Authenticate", "Basic realm=\"\(realm)\"")],
                      body: Array("401 Unauthorized\n".utf8))
    }

    /// Traefik's redirect handlers: only the status and Location, no body (Go's http.Redirect would add a
    /// short HTML link for GET; Traefik's does not).
    static func redirect(_ status: Int, location: String) -> LocalResponse {
        LocalResponse(status: status, fields: [("Location", location)])
    }
}
