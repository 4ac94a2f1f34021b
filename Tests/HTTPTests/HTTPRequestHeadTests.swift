@testable import HTTP
import XCTest

final class HTTPRequestHeadTests: XCTestCase {
    struct Valid {
        let raw: String
        let method: HTTPMethod
        let target: String
        let host: String?
        let framing: HTTPBodyFraming
        let keepAlive: Bool
        var line: UInt = #line
    }

    func testValidRequests() {
        let cases: [Valid] = [
            Valid(raw: "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", method: .get, target: "/", host: "a.test",
                  framing: .none, keepAlive: true),
            Valid(raw: "GET /p?q=1 HTTP/1.0\r\n\r\n", method: .get, target: "/p?q=1", host: nil,
                  framing: .none, keepAlive: false),
            Valid(raw: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: x\r\n\r\n", method: .get, target: "/",
                  host: "x", framing: .none, keepAlive: true),
            Valid(raw: "GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n", method: .get, target: "/",
                  host: "x", framing: .none, keepAlive: false),
            Valid(raw: "POST /up HTTP/1.1\r\nHost: x:8080\r\nContent-Length: 12\r\n\r\n", method: .post,
                  target: "/up", host: "x:8080", framing: .contentLength(12), keepAlive: true),
            Valid(raw: "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", method: .post,
                  target: "/up", host: "x", framing: .none, keepAlive: true),
            Valid(raw: "PUT /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n", method: .put,
                  target: "/u", host: "x", framing: .chunked, keepAlive: true),
            Valid(raw: "GET http://Other.test:81/a/b?c HTTP/1.1\r\nHost: ignored.test\r\n\r\n", method: .get,
                  target: "http://Other.test:81/a/b?c", host: "Other.test:81", framing: .none, keepAlive: true),
            Valid(raw: "GET https://o.test HTTP/1.1\r\nHost: o.test\r\n\r\n", method: .get,
                  target: "https://o.test", host: "o.test", framing: .none, keepAlive: true),
            Valid(raw: "CONNECT db.test:5432 HTTP/1.1\r\n\r\n", method: .connect, target: "db.test:5432",
                  host: "db.test:5432", framing: .none, keepAlive: true),
            Valid(raw: "CONNECT db.test:5432 HTTP/1.1\r\nHost: h\r\n\r\n", method: .connect, target: "db.test:5432",
                  host: "h", framing: .none, keepAlive: true),
            Valid(raw: "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", method: .options, target: "*", host: "x",
                  framing: .none, keepAlive: true),
            Valid(raw: "PURGE /c HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", method: .other, target: "/c", host: "[::1]:80",
                  framing: .none, keepAlive: true),
            Valid(raw: "GET / HTTP/1.1\r\nHost:\r\n\r\n", method: .get, target: "/", host: "",
                  framing: .none, keepAlive: true),
            Valid(raw: "\r\n\r\nGET / HTTP/1.1\r\nhOsT:  spaced.test \t\r\n\r\n", method: .get, target: "/",
                  host: "spaced.test", framing: .none, keepAlive: true),
            Valid(raw: "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", method: .get,
                  target: "/", host: "x", framing: .contentLength(5), keepAlive: true),
            Valid(raw: "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0009223372036854775807\r\n\r\n", method: .get,
                  target: "/", host: "x", framing: .contentLength(UInt64(Int64.max)), keepAlive: true),
            Valid(raw: "GET /é HTTP/1.9\r\nHost: x\r\nX-Obs: caf\u{e9}\r\n\r\n", method: .get, target: "/é",
                  host: "x", framing: .none, keepAlive: true),
        ]
        for c in cases {
            let buffer = httpBytes(c.raw)
            let result = HTTPRequestHead.parse(buffer)
            guard let head = result.head else {
                XCTFail("rejected: \(result)", line: c.line)
                continue
            }
            XCTAssertEqual(result.headLength, buffer.count, line: c.line)
            XCTAssertEqual(head.knownMethod, c.method, line: c.line)
            XCTAssertEqual(httpString(buffer, head.target), c.target, line: c.line)
            XCTAssertEqual(httpString(buffer, head.host), c.host, line: c.line)
            XCTAssertEqual(head.framing, c.framing, line: c.line)
            XCTAssertEqual(head.keepAlive, c.keepAlive, line: c.line)
        }
    }

    func testFieldsKeepOrderCaseAndAccessors() throws {
        let buffer = httpBytes("GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\n" +
            "Connection: keep-alive, Upgrade\r\nX-Custom-Name:  v a l  \r\nExpect: 100-Continue\r\nTE: trailers\r\n" +
            "Content-Length: 3\r\n\r\n")
        let head = try XCTUnwrap(HTTPRequestHead.parse(buffer).head)
        XCTAssertEqual(head.fields.map { httpString(buffer, $0.name)! },
                       ["Host", "Upgrade", "Connection", "X-Custom-Name", "Expect", "TE", "Content-Length"])
        XCTAssertEqual(httpString(buffer, head.fields[3].value), "v a l")
        XCTAssertEqual(httpString(buffer, head.fields[3].line), "X-Custom-Name:  v a l  ")
        XCTAssertEqual(httpString(buffer, head.upgrade), "websocket")
        XCTAssertEqual(head.connection, [.keepAlive, .upgrade])
        XCTAssertTrue(head.isUpgrade)
        XCTAssertTrue(head.expectsContinue)
        XCTAssertEqual(httpString(buffer, head.te), "trailers")
        XCTAssertEqual(head.contentLength, 3)
        XCTAssertEqual(head.targetForm, .origin)
        XCTAssertEqual(head.version, .http11)
        XCTAssertTrue(HTTPASCII.equalsIgnoringCase(buffer[head.fields[0].name], "HOST"))
        XCTAssertFalse(HTTPASCII.equalsIgnoringCase(buffer[head.fields[0].name], "hos"))
    }

    func testAbsoluteFormRanges() throws {
        let buffer = httpBytes("GET http://a.test:8080?x=1 HTTP/1.1\r\nHost: a.test\r\n\r\n")
        let head = try XCTUnwrap(HTTPRequestHead.parse(buffer).head)
        guard case .absolute(let authority, let path) = head.targetForm else { return XCTFail("\(head.targetForm)") }
        XCTAssertEqual(httpString(buffer, authority), "a.test:8080")
        XCTAssertEqual(httpString(buffer, path), "?x=1")
    }

    func testPipelinedRequestsParseOneHeadAtATime() throws {
        let first = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
        let second = "GET /b HTTP/1.1\r\nHost: y\r\n\r\n"
        let third = "GET /c HTTP/1.1\r\nHost: z\r\n\r\n"
        let buffer = httpBytes(first + "hello" + second + third)
        var offset = 0
        var targets: [String] = []
        while offset < buffer.count {
            let slice = buffer[offset...]
            let result = HTTPRequestHead.parse(slice)
            let head = try XCTUnwrap(result.head)
            let local = Array(slice)
            targets.append(httpString(local, head.target)!)
            offset += try XCTUnwrap(result.headLength)
            if case .contentLength(let n) = head.framing { offset += Int(n) }
        }
        XCTAssertEqual(targets, ["/a", "/b", "/c"])
        XCTAssertEqual(HTTPRequestHead.parse(httpBytes(first + "hello")).headLength, first.utf8.count)
    }

    func testByteByByteFeedingAgreesWithWholeBuffer() {
        let samples = [
            "GET /x HTTP/1.1\r\nHost: a\r\nCookie: k=v\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Name: a\r\n\r\n",
            "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
            "\r\nGET / HTTP/1.1\r\n Host: a\r\n\r\n",
        ]
        for sample in samples {
            let buffer = httpBytes(sample)
            let whole = HTTPRequestHead.parse(buffer)
            var settled: HTTPParseResult<HTTPRequestHead>?
            for n in 0...buffer.count {
                let partial = HTTPRequestHead.parse(buffer[..<n])
                if partial.isIncomplete { continue }
                settled = partial
                break
            }
            XCTAssertEqual(settled, whole, sample)
        }
    }

    struct Rejected {
        let raw: String
        let status: Int
        let error: HTTPParseError?
        var line: UInt = #line
        init(_ raw: String, _ status: Int, _ error: HTTPParseError? = nil, line: UInt = #line) {
            self.raw = raw
            self.status = status
            self.error = error
            self.line = line
        }
    }

    func testSmugglingAndMalformedHeadsAreRejected() {
        let h = "Host: x\r\n"
        let cases: [Rejected] = [
            // Framing conflicts.
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                     .contentLengthWithTransferEncoding),
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400,
                     .contentLengthWithTransferEncoding),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 5, 6\r\n\r\n", 400),
            // Go reads one number per field and byte-identical repeats only (transfer.go, fixLength).
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 7, 7,7\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 05\r\nContent-Length: 5\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: -5\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: +5\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 5a\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 0x5\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 5 5\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length:\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 5,\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 9223372036854775808\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Content-Length: 99999999999999999999999\r\n\r\n", 400),
            // Transfer-Encoding other than exactly chunked.
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: gzip\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: identity\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: xchunked\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked;x=1\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: ,chunked\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding:\r\n\r\n", 400),
            Rejected("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: \"chunked\"\r\n\r\n", 400),
            Rejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            // Line structure.
            Rejected("GET / HTTP/1.1\r\n\(h)X: a\r\n b\r\n\r\n", 400, .obsoleteLineFolding(offset: 31)),
            Rejected("GET / HTTP/1.1\r\n\tX: a\r\n\(h)\r\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h)X: a\rb\r\n\r\n", 400, .bareLineEnding(offset: 29)),
            Rejected("GET / HTTP/1.1\r\n\(h)X: a\nY: b\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\n\(h)\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h)\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h)\r\r\n", 400),
            // Names and values.
            Rejected("GET / HTTP/1.1\r\n\(h)Content-Length : 5\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h)X\t: 5\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h): empty\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h)X(y): 1\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h)Na\u{e9}me: 1\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h)NoColon\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h)X: a\u{0}b\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h)X: a\u{1}b\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\r\n\(h)X: a\u{7f}\r\n\r\n", 400),
            // Host.
            Rejected("GET / HTTP/1.1\r\n\r\n", 400, .missingHost),
            Rejected("GET http://a.test/ HTTP/1.1\r\n\r\n", 400, .missingHost),
            Rejected("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, .multipleHost(offset: 25)),
            Rejected("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400),
            Rejected("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
            // Request line.
            Rejected("GET / HTTP/1.1 \r\n\(h)\r\n", 400),
            Rejected("GET  / HTTP/1.1\r\n\(h)\r\n", 400),
            Rejected(" GET / HTTP/1.1\r\n\(h)\r\n", 400),
            Rejected("GET /\r\n\(h)\r\n", 400),
            Rejected("GET / http/1.1\r\n\(h)\r\n", 400),
            Rejected("GET / HTTP/1.10\r\n\(h)\r\n", 400),
            Rejected("GET / HTTP/1\r\n\(h)\r\n", 400),
            Rejected("G(T / HTTP/1.1\r\n\(h)\r\n", 400),
            Rejected("GET /a\u{7f} HTTP/1.1\r\n\(h)\r\n", 400),
            Rejected("GET a/b HTTP/1.1\r\n\(h)\r\n", 400),
            Rejected("GET * HTTP/1.1\r\n\(h)\r\n", 400),
            Rejected("GET http:// HTTP/1.1\r\n\(h)\r\n", 400),
            Rejected("GET http://u@a/ HTTP/1.1\r\n\(h)\r\n", 400),
            Rejected("GET / HTTP/2.0\r\n\(h)\r\n", 505, .unsupportedVersion(offset: 6)),
            Rejected("GET / HTTP/0.9\r\n\(h)\r\n", 505),
            Rejected("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        ]
        for c in cases {
            let result = HTTPRequestHead.parse(httpBytes(c.raw))
            guard let error = result.parseError else {
                XCTFail("accepted: \(c.raw.debugDescription) -> \(result)", line: c.line)
                continue
            }
            XCTAssertEqual(error.status, c.status, "\(c.raw.debugDescription): \(error)", line: c.line)
            if let expected = c.error { XCTAssertEqual(error, expected, line: c.line) }
        }
    }

    func testLimits() {
        let small = HTTPParseLimits(maxHeadBytes: 64, maxLineBytes: 32, maxFieldCount: 2)
        let cases: [(String, HTTPParseError?, UInt)] = [
            ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", nil, #line),
            ("GET /\(String(repeating: "a", count: 40)) HTTP/1.1\r\n", .lineTooLong(offset: 0), #line),
            ("GET / HTTP/1.1\r\nHost: x\r\nX-Long: \(String(repeating: "b", count: 30))", .lineTooLong(offset: 25), #line),
            ("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", .tooManyFields, #line),
            ("GET / HTTP/1.1\r\nHost: x\r\nA: \(String(repeating: "c", count: 20))\r\nB: \(String(repeating: "d", count: 20))\r\n\r\n",
             .headTooLarge, #line),
            ("GET / HTTP/1.1\r\nHost: x\r\nA: \(String(repeating: "c", count: 20))\r\nB: \(String(repeating: "d", count: 17))",
             .headTooLarge, #line),
        ]
        for (raw, expected, line) in cases {
            let result = HTTPRequestHead.parse(httpBytes(raw), limits: small)
            if let expected {
                XCTAssertEqual(result.parseError, expected, raw.debugDescription, line: line)
                XCTAssertEqual(result.parseError?.status, 431, line: line)
            } else {
                XCTAssertNotNil(result.head, "\(result)", line: line)
            }
        }
        // Limits at Int.max must not overflow anything.
        let unbounded = HTTPParseLimits(maxHeadBytes: .max, maxLineBytes: .max, maxFieldCount: .max)
        XCTAssertNotNil(HTTPRequestHead.parse(httpBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), limits: unbounded).head)
        XCTAssertNotNil(try? ChunkedDecoder.scan(httpBytes("1\r\na\r\n0\r\nX: y\r\n\r\n"),
                                                 decoder: ChunkedDecoder(maxLineBytes: .max, maxTrailerBytes: .max)))
        // The default allows a 1 MiB head, like Go's DefaultMaxHeaderBytes.
        let big = "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-Pad: \(String(repeating: "p", count: 1100))\r\n", count: 900) + "\r\n"
        XCTAssertNotNil(HTTPRequestHead.parse(httpBytes(big)).head)
        let tooBig = "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-Pad: \(String(repeating: "p", count: 1100))\r\n", count: 999)
        XCTAssertEqual(HTTPRequestHead.parse(httpBytes(tooBig)).parseError, .headTooLarge)
    }

    func testIncompleteHeads() {
        for raw in ["", "G", "GET / HTTP/1.1", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\nHost: x\r\n",
                    "GET / HTTP/1.1\r\nHost: x\r\n\r", "\r\n"] {
            XCTAssertTrue(HTTPRequestHead.parse(httpBytes(raw)).isIncomplete, raw.debugDescription)
        }
    }
}
