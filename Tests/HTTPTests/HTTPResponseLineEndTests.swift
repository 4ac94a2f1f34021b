// Line ends in response heads from backends: a bare LF is accepted anywhere in the head, as Go's client
// (Traefik) accepts it — busybox httpd's CGI answers "HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nbody" —
// while a bare CR is refused, and requests stay CRLF-only. The head stoep forwards is rebuilt with CRLF.
@testable import HTTP
import XCTest

final class HTTPResponseLineEndTests: XCTestCase {
    struct Accepted {
        let raw: String
        let status: Int
        let reason: String
        let fields: [(String, String)]
        let framing: HTTPBodyFraming
        let line: UInt
        init(_ raw: String, _ status: Int, _ reason: String, _ fields: [(String, String)], _ framing: HTTPBodyFraming,
             line: UInt = #line) {
            (self.raw, self.status, self.reason, self.fields, self.framing, self.line) = (raw, status, reason, fields, framing, line)
        }
    }

    /// Every case is followed by a body "body" in the buffer: the head length must stop before it.
    static let accepted: [Accepted] = [
        // busybox httpd CGI: its own status line with CRLF, the script's lines with LF.
        Accepted("HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\n", 200, "OK", [("Content-Type", "text/plain")], .untilClose),
        Accepted("HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 4\n\n", 200, "OK",
                 [("Content-Type", "text/plain"), ("Content-Length", "4")], .contentLength(4)),
        // Mixed, in every position: status line, field lines, the empty line.
        Accepted("HTTP/1.1 200 OK\nContent-Type: text/plain\r\nX-A: 1\nContent-Length: 4\r\n\n", 200, "OK",
                 [("Content-Type", "text/plain"), ("X-A", "1"), ("Content-Length", "4")], .contentLength(4)),
        Accepted("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\n", 200, "OK", [("Content-Length", "4")], .contentLength(4)),
        Accepted("HTTP/1.1 200 OK\nContent-Length: 4\n\r\n", 200, "OK", [("Content-Length", "4")], .contentLength(4)),
        Accepted("HTTP/1.1 200 OK\nContent-Length: 4\r\n\r\n", 200, "OK", [("Content-Length", "4")], .contentLength(4)),
        // No fields at all; no reason phrase; whitespace before the LF (trimmed from values as before CRLF).
        Accepted("HTTP/1.1 200 OK\n\n", 200, "OK", [], .untilClose),
        Accepted("HTTP/1.1 200\nContent-Length: 4\n\n", 200, "", [("Content-Length", "4")], .contentLength(4)),
        Accepted("HTTP/1.1 200 OK\nX-A: a \t\nContent-Length: 4\n\n", 200, "OK",
                 [("X-A", "a"), ("Content-Length", "4")], .contentLength(4)),
        // CGI's Status: turned into a status line by busybox (its reason after the code).
        Accepted("HTTP/1.1 404 Not Found\nContent-Type: text/plain\n\n", 404, "Not Found",
                 [("Content-Type", "text/plain")], .untilClose),
        Accepted("HTTP/1.0 200 OK\nContent-Type: text/plain\n\n", 200, "OK", [("Content-Type", "text/plain")], .untilClose),
        Accepted("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n", 200, "OK", [("Transfer-Encoding", "chunked")], .chunked),
        Accepted("HTTP/1.1 204 No Content\nX-A: 1\n\n", 204, "No Content", [("X-A", "1")], .none),
        Accepted("HTTP/1.1 103 Early Hints\nLink: </s.css>\n\n", 103, "Early Hints", [("Link", "</s.css>")], .none),
    ]

    func testBareLFIsALineEndInResponses() {
        for c in Self.accepted {
            let buffer = httpBytes(c.raw + "body")
            let result = HTTPResponseHead.parse(buffer, requestMethod: .get)
            guard let head = result.head else {
                XCTFail("rejected \(c.raw.debugDescription): \(result)", line: c.line)
                continue
            }
            XCTAssertEqual(result.headLength, buffer.count - 4, line: c.line)
            XCTAssertEqual(head.status, c.status, line: c.line)
            XCTAssertEqual(httpString(buffer, head.reason), c.reason, line: c.line)
            XCTAssertEqual(head.fields.map { httpString(buffer, $0.name)! }, c.fields.map(\.0), line: c.line)
            XCTAssertEqual(head.fields.map { httpString(buffer, $0.value)! }, c.fields.map(\.1), line: c.line)
            XCTAssertEqual(head.framing, c.framing, line: c.line)
        }
    }

    /// A bare CR is never a line end (Go's ReadLine does not end a line at one either). Go refuses one in a
    /// field line or the empty line (Traefik answers 500); it lets one through only in the reason phrase,
    /// which stoep refuses too.
    func testBareCRIsRefusedInResponses() {
        let cases: [(String, Int, UInt)] = [
            ("HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 4\r\n\r\n", 23, #line),
            ("HTTP/1.1 200 OK\r\nX-A: ab\r\r\nContent-Length: 4\r\n\r\n", 24, #line),
            ("HTTP/1.1 200 OK\rContent-Length: 4\r\n\r\n", 15, #line),
            ("HTTP/1.1 200 OK\r\r\nContent-Length: 4\r\n\r\n", 15, #line),
            ("HTTP/1.1 200\r\r\nContent-Length: 4\r\n\r\n", 12, #line),
            ("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\r\n", 36, #line),
            ("HTTP/1.1 200 OK\nContent-Length: 4\n\r\r\n", 34, #line),
            ("HTTP/1.1 200 OK\r\nX\rA: 1\r\n\r\n", 18, #line),
        ]
        for (raw, offset, line) in cases {
            let result = HTTPResponseHead.parse(httpBytes(raw), requestMethod: .get)
            XCTAssertEqual(result.parseError, .bareLineEnding(offset: offset), "\(raw.debugDescription)", line: line)
        }
    }

    /// What stays refused with LF line ends as with CRLF ones: this is a line-end leniency only.
    func testOtherRulesStillApplyWithBareLF() {
        let cases: [(String, UInt)] = [
            ("\nHTTP/1.1 200 OK\nContent-Length: 4\n\n", #line),              // Go too: malformed (500)
            ("HTTP/1.1 200 OK\nX-A: a\n b\nContent-Length: 4\n\n", #line),      // obs-fold
            ("HTTP/1.1 200 OK\nX-A : 1\n\n", #line),
            ("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nContent-Length: 4\n\n", #line),
            ("HTTP/1.1 200 OK\nContent-Length: 4\nContent-Length: 5\n\n", #line),
            ("HTTP/1.1 20 OK\n\n", #line),
            ("HTTP/1.1 200 O\u{1}K\n\n", #line),
        ]
        for (raw, line) in cases {
            let result = HTTPResponseHead.parse(httpBytes(raw), requestMethod: .get)
            XCTAssertNotNil(result.parseError, "accepted \(raw.debugDescription): \(result)", line: line)
        }
    }

    /// Requests from clients stay CRLF-only: a bare LF anywhere is an error with its offset.
    func testRequestsStayStrict() {
        let cases: [(String, Int, UInt)] = [
            ("GET / HTTP/1.1\nHost: a\r\n\r\n", 14, #line),
            ("GET / HTTP/1.1\r\nHost: a\n\r\n", 23, #line),
            ("GET / HTTP/1.1\r\nHost: a\r\n\n", 25, #line),
            ("GET / HTTP/1.1\nHost: a\n\n", 14, #line),
        ]
        for (raw, offset, line) in cases {
            let result = HTTPRequestHead.parse(httpBytes(raw))
            XCTAssertEqual(result.parseError, .bareLineEnding(offset: offset), line: line)
        }
    }

    /// Split anywhere, a bare-LF head is incomplete until its empty line is in, then parses as whole —
    /// including a split between a CR and its LF.
    func testIncrementalBareLFHeads() {
        for raw in ["HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nbody",
                    "HTTP/1.1 200 OK\nX-A: 1\r\nContent-Length: 4\n\r\nbody"] {
            let buffer = httpBytes(raw)
            let whole = HTTPResponseHead.parse(buffer, requestMethod: .get)
            let length = whole.headLength!
            for n in 0..<length {
                XCTAssertTrue(HTTPResponseHead.parse(buffer[..<n], requestMethod: .get).isIncomplete,
                              "\(raw.debugDescription) prefix \(n)")
            }
            XCTAssertEqual(HTTPResponseHead.parse(buffer[..<length], requestMethod: .get), whole)
        }
    }

    /// The limits count a bare LF as one byte of line end.
    func testLimitsWithBareLF() {
        let limits = HTTPParseLimits(maxHeadBytes: 48, maxLineBytes: 20, maxFieldCount: 2)
        let cases: [(String, HTTPParseError?, UInt)] = [
            ("HTTP/1.1 200 OK\nX-A: 1\n\n", nil, #line),
            ("HTTP/1.1 200 OK\nX-A: 123456789012345\n\n", nil, #line),                  // a 20-byte line
            ("HTTP/1.1 200 OK\nX-A: 1234567890123456\n\n", .lineTooLong(offset: 16), #line),
            ("HTTP/1.1 200 OK\nX-A: 1\nX-B: 2\nX-C: 3\n\n", .tooManyFields, #line),
            ("HTTP/1.1 200 OK\nX-A: 1234567890\nX-B: 1234567890\nX-C: 12345\n\n", .headTooLarge, #line),
        ]
        for (raw, error, line) in cases {
            let result = HTTPResponseHead.parse(httpBytes(raw), requestMethod: .get, limits: limits)
            XCTAssertEqual(result.parseError, error, "\(result)", line: line)
        }
    }
}
