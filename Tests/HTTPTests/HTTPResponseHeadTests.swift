@testable import HTTP
import XCTest

final class HTTPResponseHeadTests: XCTestCase {
    func testFramingTable() {
        let cases: [(String, HTTPMethod, HTTPBodyFraming, Bool, UInt)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", .get, .contentLength(10), true, #line),
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .get, .none, true, #line),
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", .head, .none, true, #line),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .head, .none, true, #line),
            ("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", .get, .none, true, #line),
            ("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", .get, .none, true, #line),
            ("HTTP/1.1 100 Continue\r\n\r\n", .post, .none, true, #line),
            ("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n", .get, .none, true, #line),
            ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", .get, .tunnel, false, #line),
            ("HTTP/1.1 200 Connection established\r\n\r\n", .connect, .tunnel, false, #line),
            ("HTTP/1.1 407 Proxy Auth\r\nContent-Length: 3\r\n\r\n", .connect, .contentLength(3), true, #line),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .get, .chunked, true, #line),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .get, .chunked, true, #line),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", .get, .untilClose, false, #line),
            ("HTTP/1.1 200 OK\r\n\r\n", .get, .untilClose, false, #line),
            ("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", .get, .contentLength(2), false, #line),
            ("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n", .get, .contentLength(2), true, #line),
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n", .get, .contentLength(2), false, #line),
            ("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\n", .get, .contentLength(2), true, #line),
            ("HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\n", .get, .contentLength(2), true, #line),
            ("HTTP/1.1 599 Odd\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n", .get, .contentLength(2), true, #line),
        ]
        for (raw, method, framing, keepAlive, line) in cases {
            let buffer = httpBytes(raw)
            let result = HTTPResponseHead.parse(buffer, requestMethod: method)
            guard let head = result.head else {
                XCTFail("rejected: \(result)", line: line)
                continue
            }
            XCTAssertEqual(result.headLength, buffer.count, line: line)
            XCTAssertEqual(head.framing, framing, line: line)
            XCTAssertEqual(head.keepAlive, keepAlive, line: line)
        }
    }

    func testStatusLineParts() throws {
        let buffer = httpBytes("HTTP/1.1 404 Not Found\r\nX-A: b\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n")
        let result = HTTPResponseHead.parse(buffer, requestMethod: .get)
        let head = try XCTUnwrap(result.head)
        XCTAssertEqual(head.status, 404)
        XCTAssertEqual(httpString(buffer, head.reason), "Not Found")
        XCTAssertEqual(result.headLength, 53)
        XCTAssertFalse(head.isInformational)
        let interim = try XCTUnwrap(HTTPResponseHead.parse(httpBytes("HTTP/1.1 100 Continue\r\n\r\n"), requestMethod: .put).head)
        XCTAssertTrue(interim.isInformational)
        let upgrade = try XCTUnwrap(HTTPResponseHead.parse(httpBytes("HTTP/1.1 101 Switching Protocols\r\n\r\n"), requestMethod: .get).head)
        XCTAssertTrue(upgrade.isSwitchingProtocols)
        XCTAssertFalse(upgrade.isInformational)
    }

    func testRejectedResponses() {
        let cases: [(String, UInt)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", #line),
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", #line),
            ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", #line),
            ("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", #line),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n", #line),
            ("HTTP/1.1 200 OK\r\nX: a\r\n  folded\r\n\r\n", #line),
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\r\n", #line),  // bare LF: HTTPResponseLineEndTests
            ("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", #line),
            ("HTTP/1.1 20 OK\r\n\r\n", #line),
            ("HTTP/1.1 099 Low\r\n\r\n", #line),
            ("HTTP/1.1 2000 OK\r\n\r\n", #line),
            ("HTTP/1.1  200 OK\r\n\r\n", #line),
            ("HTTP/2 200 OK\r\n\r\n", #line),
            ("HTTP/2.0 200 OK\r\n\r\n", #line),
            ("ICY 200 OK\r\n\r\n", #line),
            ("HTTP/1.1 200 O\u{1}K\r\n\r\n", #line),
        ]
        for (raw, line) in cases {
            let result = HTTPResponseHead.parse(httpBytes(raw), requestMethod: .get)
            XCTAssertNotNil(result.parseError, "accepted \(raw.debugDescription): \(result)", line: line)
        }
    }

    func testIncrementalResponse() {
        let buffer = httpBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
        let whole = HTTPResponseHead.parse(buffer, requestMethod: .get)
        XCTAssertEqual(whole.headLength, buffer.count - 5)
        for n in 0..<(buffer.count - 5) {
            XCTAssertTrue(HTTPResponseHead.parse(buffer[..<n], requestMethod: .get).isIncomplete, "prefix \(n)")
        }
        XCTAssertEqual(HTTPResponseHead.parse(buffer[..<(buffer.count - 5)], requestMethod: .get), whole)
    }
}
