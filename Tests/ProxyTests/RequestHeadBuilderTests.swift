// An h2 request's fields as the HTTP/1.1 head its session reads (Proxy/HTTP2/RequestHeadBuilder.swift).
import HTTP
@testable import Proxy
import XCTest

final class RequestHeadBuilderTests: XCTestCase {
    private func build(_ fields: [(String, String)], endStream: Bool = true) -> (text: String?, chunked: Bool, tooLarge: Bool, refused: Int?) {
        var b = RequestHeadBuilder()
        for (n, v) in fields {
            let name = Array(n.utf8), value = Array(v.utf8)
            name.withUnsafeBufferPointer { np in value.withUnsafeBufferPointer { vp in b.add(np, vp) } }
        }
        let chunked = b.wantsChunkedBody(endStream: endStream)
        switch b.build(chunked: chunked) {
        case .built(let bytes, _): return (String(decoding: bytes, as: UTF8.self), chunked, false, nil)
        case .tooLarge: return (nil, chunked, true, nil)
        case .refused(let status): return (nil, chunked, false, status)
        }
    }

    func testHeadFromPseudoFieldsHostAndCookies() {
        let r = build([(":method", "GET"), (":scheme", "https"), (":authority", "App.Test:8443"), (":path", "/a?b=1"),
                       ("host", "ignored.test"), ("cookie", "a=1"), ("accept", "*/*"), ("cookie", "b=2")])
        XCTAssertEqual(r.text, "GET /a?b=1 HTTP/1.1\r\nhost: App.Test:8443\r\naccept: */*\r\ncookie: a=1; b=2\r\n\r\n")
        XCTAssertFalse(r.chunked)
    }

    func testHostFieldWithoutAuthority() {
        XCTAssertEqual(build([(":method", "GET"), (":scheme", "http"), (":path", "/"), ("host", "h.test")]).text,
                       "GET / HTTP/1.1\r\nhost: h.test\r\n\r\n")
    }

    func testBodyWithoutLengthGoesChunkedAndWithLengthAsItIs() {
        let chunked = build([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")], endStream: false)
        XCTAssertTrue(chunked.chunked)
        XCTAssertEqual(chunked.text, "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n")
        let sized = build([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/"), ("content-length", "3")],
                          endStream: false)
        XCTAssertFalse(sized.chunked)
        XCTAssertEqual(sized.text, "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\n")
        // Ended with its HEADERS: no body, no framing field.
        XCTAssertFalse(build([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")]).chunked)
    }

    func testTheSynthesisedHeadParsesAsHTTP11() throws {
        let text = try XCTUnwrap(build([(":method", "PUT"), (":scheme", "http"), (":authority", "a:1"), (":path", "/x"),
                                        ("x-y", "z")], endStream: false).text)
        guard case .complete(let head, let length) = HTTPRequestHead.parse(Array(text.utf8), limits: HTTPParseLimits()) else {
            return XCTFail("does not parse: \(text)")
        }
        XCTAssertEqual(length, text.utf8.count)
        XCTAssertEqual(head.framing, .chunked)
    }

    func testFieldListPastTheLimitAndConnect() {
        let big = String(repeating: "v", count: 4000)
        XCTAssertTrue(build([(":method", "GET"), (":path", "/")] + Array(repeating: ("x-big", big), count: 300)).tooLarge)
        XCTAssertEqual(build([(":method", "CONNECT"), (":authority", "a:443")], endStream: false).refused, 405)
    }
}
