// The complete responses stoep sends itself, byte for byte as Traefik (Go net/http) sends them, so that clients
// and tests that compare bodies cannot tell the two apart. Which Traefik code path each one copies is named on
// it (docs: /work/shared/reference/traefik-dnsmasq.md §4).

public enum HTTPErrorResponse {
    /// Go's server answer to a request head it cannot read (net/http server.go, conn.serve): no Date, no
    /// Content-Length, "Connection: close"; the proxy closes the connection after sending it.
    public static func forParseError(_ error: HTTPParseError) -> [UInt8] {
        let text: String
        switch error {
        case .headTooLarge, .lineTooLong, .tooManyFields: text = "431 Request Header Fields Too Large"
        case .unsupportedTransferEncoding:
            return connectionError(statusLine: "501 Not Implemented", body: "Unsupported transfer encoding")
        case .unsupportedVersion: text = "505 HTTP Version Not Supported: unsupported protocol version"
        case .missingHost: text = "400 Bad Request: missing required Host header"
        case .multipleHost: text = "400 Bad Request: too many Host headers"
        case .invalidHost: text = "400 Bad Request: malformed Host header"
        default: text = "400 Bad Request"
        }
        return connectionError(statusLine: text, body: text)
    }

    private static func connectionError(statusLine: String, body: String) -> [UInt8] {
        Array("HTTP/1.1 \(statusLine)\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n\(body)".utf8)
    }

    /// Go's http.Error(w, message, status): the explicit fields sorted by name, then Date and Content-Length;
    /// the body is `message` and a newline.
    public static func goError(status: Int, message: String, date: [UInt8]?, close: Bool = false) -> [UInt8] {
        let body = Array((message + "\n").utf8)
        var w = HTTPHeaderWriter(reservingCapacity: 192 + body.count)
        w.statusLine(status)
        w.field("Content-Type", "text/plain; charset=utf-8")
        w.field("X-Content-Type-Options", "nosniff")
        return finish(&w, date: date, body: body, close: close)
    }

    /// 404 for a request no router matches: Go's http.NotFoundHandler.
    public static func notFound(date: [UInt8]?) -> [UInt8] {
        goError(status: 404, message: "404 page not found", date: date)
    }

    /// 503 from a load balancer with no healthy server (Traefik wrr.go).
    public static func noAvailableServer(date: [UInt8]?) -> [UInt8] {
        goError(status: 503, message: "no available server", date: date)
    }

    /// 413 in http.Error form (body "Request Entity Too Large\n").
    public static func requestEntityTooLarge(date: [UInt8]?) -> [UInt8] {
        goError(status: 413, message: "Request Entity Too Large", date: date, close: true)
    }

    /// A handler that writes only the status text: Traefik's proxy ErrorHandler (502, 504, 499, 500) and the
    /// ipAllowList reject (403). Date and Content-Length; no Content-Type, because Traefik 3 turns Go's
    /// content sniffing off for every entry point (contenttype.DisableAutoDetection); the body has no newline.
    public static func statusText(_ status: Int, date: [UInt8]?) -> [UInt8] {
        let body = Array((HTTPStatus.reasonPhrase(status) ?? "").utf8)
        var w = HTTPHeaderWriter(reservingCapacity: 160 + body.count)
        w.statusLine(status)
        if let date { w.field(name: "Date".utf8, value: date) }
        w.field("Content-Length", UInt64(body.count))
        var head = w.finished()
        head.append(contentsOf: body)
        return head
    }

    /// A handler that only calls WriteHeader(status) (Traefik's denyFragment and encodedCharacters): Date and
    /// `Content-Length: 0`, no body.
    public static func emptyBody(_ status: Int, date: [UInt8]?) -> [UInt8] {
        var w = HTTPHeaderWriter(reservingCapacity: 96)
        w.statusLine(status)
        return finish(&w, date: date, body: [], close: false)
    }


    /// basicAuth refusal (go-http-auth RequireAuth as Traefik configures it): "Content-Type: text/plain",
    /// the challenge (Go canonicalises the name to "Www-Authenticate"), body "401 Unauthorized\n".
    public static func unauthorized(realm: String = "traefik", date: [UInt8]?) -> [UInt8] {
        let body = Array("401 Unauthorized\n".utf8)
        var w = HTTPHeaderWriter(reservingCapacity: 192)
        w.statusLine(401)
        w.field("Content-Type", "text/plain")
        w.field("Www-Authenticate", "Basic realm=\"\(realm)\"")
        return finish(&w, date: date, body: body, close: false)
    }

    private static func finish(_ w: inout HTTPHeaderWriter, date: [UInt8]?, body: [UInt8], close: Bool) -> [UInt8] {
        if let date { w.field(name: "Date".utf8, value: date) }
        w.field("Content-Length", UInt64(body.count))
        if close { w.field("Connection", "close") }
        w.finish()
        return w.bytes + body
    }
}
