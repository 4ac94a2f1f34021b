// The responses stoep answers itself, byte for byte as Traefik (Go's net/http) writes them, and what the
// middlewares that answer return.
import Config
import HTTP
@testable import Proxy
import Rules
import XCTest

final class LocalResponseTests: XCTestCase {
    func testTraefikResponsesByteForByte() {
        let cases: [(LocalResponse, String, UInt)] = [
            (.notFound,
             "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 19\r\n\r\n404 page not found\n", #line),
            (.noAvailableServer,
             "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 20\r\n\r\nno available server\n", #line),
            (.statusText(502), "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 11\r\n\r\nBad Gateway", #line),
            (.statusText(504), "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 15\r\n\r\nGateway Timeout", #line),
            (.statusText(403), "HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden", #line),
            (.unauthorized(realm: "traefik"),
             "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nWww-Authenticate: Basic realm=\"traefik\"\r\nContent-Length: 17\r\n\r\n401 Unauthorized\n", #line),
            (.requestEntityTooLarge,
             "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 24\r\n\r\nRequest Entity Too Large", #line),  // oxy's SizeErrHandler
            (.goError(400, "400 Bad Request", closesConnection: true),
             "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 16\r\nConnection: close\r\n\r\n400 Bad Request\n", #line),
            (.empty(400), "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", #line),
            (.empty(418), "HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n", #line),
            (.redirect(308, location: "https://a.test/x"), "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://a.test/x\r\nContent-Length: 0\r\n\r\n", #line),
        ]
        for (response, text, line) in cases {
            let bytes = response.bytes()
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), text, line: line)
            // Every response stoep makes must itself parse as a well-framed response.
            guard case .complete(let head, _) = HTTPResponseHead.parse(bytes, requestMethod: .get) else {
                XCTFail("does not parse", line: line)
                continue
            }
            XCTAssertEqual(head.status, response.status, line: line)
        }
    }

    func testHeadOnlyLeavesTheBodyOut() {
        var out: [UInt8] = Array("before".utf8)
        let written = LocalResponse.notFound.write(into: &out, headOnly: true)
        XCTAssertEqual(String(decoding: out.dropFirst(6), as: UTF8.self),
                       "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 19\r\n\r\n")
        XCTAssertEqual(written, out.count - 6)
    }

    /// Middlewares that answer return the status and fields, not bytes to parse back.
    func testMiddlewaresAnswerWithTypedResponses() throws {
        let bytes = Array("GET /p?q=1 HTTP/1.1\r\nHost: a.test:8080\r\n\r\n".utf8)
        guard case .complete(let head, _) = HTTPRequestHead.parse(bytes) else { return XCTFail("test request did not parse") }
        let view = RequestView(head: head, bytes: bytes, clientIP: ClientIP("192.0.2.1"), pathAndQuery: ("/p", "q=1"))
        var forward = ForwardedRequest(path: "/p", query: "q=1")
        let redirect = RedirectSchemeMiddleware(name: "r", config: TraefikRedirectScheme(scheme: "https", port: "443", permanent: true))
        let answer = try XCTUnwrap(redirect.handle(view, &forward, scheme: "http"))
        XCTAssertEqual(answer.status, 301)
        XCTAssertEqual(answer.fields.map(\.name), ["Location"])
        XCTAssertEqual(answer.fields.first?.value, "https://a.test/p?q=1")
        XCTAssertNil(redirect.handle(view, &forward, scheme: "https"))

        let allow = IPAllowListMiddleware(name: "a", config: TraefikIPAllowList(sourceRange: ["10.0.0.0/8"]))
        XCTAssertEqual(allow.handle(view, &forward, scheme: "http")?.status, 403)
    }
}
