// What the proxy forwards after a backend's head with bare LF line ends (parsed by the HTTP module, see
// HTTPTests/HTTPResponseLineEndTests): a head rebuilt with CRLF, and the chunk size lines of a
// close-delimited body sent on chunked.
import HTTP
@testable import Proxy
import XCTest

final class ResponseHeadRewriteTests: XCTestCase {
    private func httpBytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    private func parsed(_ bytes: [UInt8]) -> HTTPResponseHead? {
        if case .complete(let head, _) = HTTPResponseHead.parse(bytes, requestMethod: .get) { return head }
        return nil
    }

    /// What the client gets: a CRLF head rebuilt from the parsed ranges, whatever the backend's line ends.
    func testForwardedHeadIsCRLF() {
        let cases: [(String, Bool, Bool, String, UInt)] = [
            ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\n", false, true,
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n", #line),
            ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\n", true, false,
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n", #line),
            ("HTTP/1.1 200 OK\nContent-Type: text/plain\r\nConnection: close\nContent-Length: 4\r\n\n", false, false,
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\n", #line),
            ("HTTP/1.1 404 Not Found\nContent-Type: text/plain\n\n", true, true,
             "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n", #line),
        ]
        for (raw, close, chunked, expected, line) in cases {
            let bytes = httpBytes(raw)
            guard let head = parsed(bytes) else {
                XCTFail("rejected", line: line)
                continue
            }
            let out = HeadRewriter.response(head, bytes: bytes, close: close, chunked: chunked, extra: [])
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected, line: line)
        }
    }

    /// Hop-by-hop fields and those the backend's Connection fields name (any case, OWS, empty elements)
    /// are dropped; a 101 keeps Connection and Upgrade; a chunked answer keeps Trailer; `extra` replaces
    /// fields of the same name (any case). The filter works on the head's bytes (no String per field).
    func testHopByHopAndReplacedFieldsAreDropped() {
        let cases: [(String, [(name: String, value: String)], String, UInt)] = [
            ("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Private ,,\r\nKeep-Alive: timeout=5\r\nx-private: 1\r\n"
             + "Proxy-Connection: x\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\nProxy-Authenticate: B\r\n"
             + "Content-Length: 0\r\nX-Kept: 2\r\n\r\n", [],
             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Kept: 2\r\n\r\n", #line),
            ("HTTP/1.1 200 OK\r\nconnection: X-A\r\nCONNECTION: x-b\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\nContent-Length: 0\r\n\r\n", [],
             "HTTP/1.1 200 OK\r\nX-C: 3\r\nContent-Length: 0\r\n\r\n", #line),
            ("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade, X-Hop\r\nUpgrade: websocket\r\nX-Hop: 1\r\nKeep-Alive: 1\r\n\r\n", [],
             "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade, X-Hop\r\nUpgrade: websocket\r\n\r\n", #line),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\nConnection: trailer\r\n\r\n", [],
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n", #line),
            ("HTTP/1.1 200 OK\r\nx-frame-options: DENY\r\nServer: b\r\nContent-Length: 0\r\n\r\n",
             [("X-Frame-Options", "SAMEORIGIN"), ("Server", "")],
             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Frame-Options: SAMEORIGIN\r\n\r\n", #line),
        ]
        for (raw, extra, expected, line) in cases {
            let bytes = httpBytes(raw)
            guard let head = parsed(bytes) else {
                XCTFail("rejected", line: line)
                continue
            }
            let out = HeadRewriter.response(head, bytes: bytes, close: false, extra: extra)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected, line: line)
        }
    }

    func testLowerMakesTheSameStringAsBefore() {
        for name in ["Host", "X-FORWARDED-PROTO", "Content-Length", "ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNOP", "", "x\u{00C4}Y"] {
            let bytes = ArraySlice(Array(name.utf8))
            XCTAssertEqual(HeadRewriter.lower(bytes), String(decoding: bytes.map { HTTPASCII.lowercased($0) }, as: UTF8.self), name)
        }
    }

    func testInterimHeadIsCRLF() throws {
        let bytes = httpBytes("HTTP/1.1 103 Early Hints\nLink: </a>\nLink: </b>\n\n")
        let head = try XCTUnwrap(parsed(bytes))
        XCTAssertEqual(String(decoding: HeadRewriter.interim(head, bytes: bytes), as: UTF8.self),
                       "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\nLink: </b>\r\n\r\n")
    }

    /// Chunk size lines of a close-delimited body sent on chunked: lower-case hex, as Go writes them.
    func testChunkSizeLines() {
        let cases: [(Int, String, UInt)] = [
            (1, "1\r\n", #line), (15, "f\r\n", #line), (16, "10\r\n", #line), (255, "ff\r\n", #line),
            (4096, "1000\r\n", #line), (1 << 20, "100000\r\n", #line), (0x7fff_ffff, "7fffffff\r\n", #line),
        ]
        for (size, expected, line) in cases {
            var out: [UInt8] = []
            BodyForwarder.appendChunkSize(size, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected, line: line)
        }
        var out: [UInt8] = []
        BodyForwarder.appendChunk(httpBytes("hello")[...], to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "5\r\nhello\r\n")
    }
}
