// Go's answers to a request head it cannot read (net/http server.go, conn.serve), byte for byte, so that clients
// and tests that compare bodies cannot tell stoep from Traefik. The responses a handler writes (404, 502,
// redirects, auth challenges…) are the proxy's LocalResponse values.

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
}
