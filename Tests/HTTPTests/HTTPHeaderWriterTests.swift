@testable import HTTP
import XCTest

final class HTTPHeaderWriterTests: XCTestCase {
    func testRequestHeadRoundTrip() throws {
        let original = httpBytes("GET /p HTTP/1.1\r\nHost: a.test\r\nX-Keep:  as is \r\nConnection: close\r\n\r\n")
        let head = try XCTUnwrap(HTTPRequestHead.parse(original).head)
        var w = HTTPHeaderWriter()
        w.requestLine(method: original[head.method], target: original[head.target])
        for field in head.fields where !HTTPASCII.equalsIgnoringCase(original[field.name], "connection") {
            w.copyField(field, from: original)
        }
        w.field("X-Forwarded-For", "10.0.0.1")
        w.field("Content-Length", 0)
        let bytes = w.finished()
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self),
                       "GET /p HTTP/1.1\r\nHost: a.test\r\nX-Keep:  as is \r\nX-Forwarded-For: 10.0.0.1\r\nContent-Length: 0\r\n\r\n")
        XCTAssertNotNil(HTTPRequestHead.parse(bytes).head)
    }

    func testWriterNeutralisesLineBreaks() {
        var w = HTTPHeaderWriter()
        w.requestLine(method: "GET".utf8, target: "/a b\r\nX: y".utf8)
        XCTAssertTrue(w.field("X-Injected", "a\r\nSet-Cookie: b\u{0}"))
        XCTAssertFalse(w.field("Bad Name", "v"))
        XCTAssertFalse(w.field("", "v"))
        w.statusLine(299)
        XCTAssertEqual(String(decoding: w.finished(), as: UTF8.self),
                       "GET /a%20b%0D%0AX:%20y HTTP/1.1\r\nX-Injected: a  Set-Cookie: b \r\nHTTP/1.1 299 status code 299\r\n\r\n")
    }

    func testDecimalAndStatusLine() {
        for (value, text) in [(UInt64(0), "0"), (7, "7"), (1234567890, "1234567890"), (UInt64.max, "18446744073709551615")] {
            var w = HTTPHeaderWriter()
            w.field("N", value)
            XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), "N: \(text)\r\n")
        }
        var w = HTTPHeaderWriter()
        w.statusLine(404)
        w.statusLine(200, reason: "Fine", version: .http10)
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), "HTTP/1.1 404 Not Found\r\nHTTP/1.0 200 Fine\r\n")
        XCTAssertEqual(HTTPStatus.reasonPhrase(431), "Request Header Fields Too Large")
        XCTAssertNil(HTTPStatus.reasonPhrase(299))
    }

    func testDates() {
        let cases: [(Int64, String)] = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
            (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        ]
        for (seconds, text) in cases {
            XCTAssertEqual(String(decoding: HTTPDate.imfFixdate(secondsSinceEpoch: seconds), as: UTF8.self), text)
        }
    }

    func testGoParseErrorResponses() {
        let cases: [([UInt8], String, UInt)] = [
            (HTTPErrorResponse.forParseError(.obsoleteLineFolding(offset: 3)),
             "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request", #line),
            (HTTPErrorResponse.forParseError(.headTooLarge),
             "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large", #line),
            (HTTPErrorResponse.forParseError(.unsupportedTransferEncoding(offset: 0)),
             "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nUnsupported transfer encoding", #line),
            (HTTPErrorResponse.forParseError(.missingHost),
             "HTTP/1.1 400 Bad Request: missing required Host header\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: missing required Host header", #line),
            (HTTPErrorResponse.forParseError(.unsupportedVersion(offset: 0)),
             "HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n505 HTTP Version Not Supported: unsupported protocol version", #line),
        ]
        for (bytes, text, line) in cases {
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), text, line: line)
            XCTAssertNotNil(HTTPResponseHead.parse(bytes, requestMethod: .get).head, line: line)
        }
    }
}
