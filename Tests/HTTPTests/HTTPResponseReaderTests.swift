// The buffered response reader of stoep's own clients (the Docker Engine API): fed byte by byte and
// whole, each framing, and malformed or cut-short answers as errors, never crashes.
import HTTP
import XCTest

final class HTTPResponseReaderTests: XCTestCase {
    func read(_ text: String, step: Int) throws -> (HTTPResponseReader, String) {
        var reader = HTTPResponseReader()
        let bytes = Array(text.utf8)
        var body: [UInt8] = []
        var i = 0
        while i < bytes.count {
            body += try reader.feed(bytes[i..<min(i + step, bytes.count)])
            i += step
        }
        return (reader, String(decoding: body, as: UTF8.self))
    }

    func testChunkedAndLengthBodiesInAnyPieces() throws {
        let chunked = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nb;ext=1\r\n1}\n{\"b\":2}\n\r\n0\r\n\r\n"
        for step in [1, 3, 7, 1000] {
            let (r, body) = try read(chunked, step: step)
            XCTAssertEqual(r.status, 200)
            XCTAssertTrue(r.isComplete)
            XCTAssertEqual(body, "{\"a\":1}\n{\"b\":2}\n")
        }
        for step in [1, 2, 1000] {
            let (r, body) = try read("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnopeEXTRA", step: step)
            XCTAssertEqual(r.status, 404)
            XCTAssertEqual(body, "nope")
            XCTAssertTrue(r.isComplete)
        }
    }

    func testHeadsWithoutBodyAndInterimResponses() throws {
        for text in ["HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"] {
            let (r, body) = try read(text, step: 1)
            XCTAssertTrue(r.isComplete, text)
            XCTAssertEqual(body, "", text)
        }
        let (r, body) = try read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", step: 5)
        XCTAssertEqual(r.status, 201)
        XCTAssertEqual(body, "ok")
    }

    func testMalformedResponsesAreErrorsNotCrashes() {
        var ssh = HTTPResponseReader()
        XCTAssertThrowsError(try ssh.feed(Array("SSH-2.0-OpenSSH\r\n\r\n".utf8)[...]))
        var badChunk = HTTPResponseReader()
        XCTAssertThrowsError(try badChunk.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8)[...]))
        var cut = HTTPResponseReader()
        _ = try? cut.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8)[...])
        XCTAssertThrowsError(try cut.finish()) { XCTAssertEqual($0 as? HTTPResponseReadError, .closedMidBody) }
        var noHead = HTTPResponseReader()
        _ = try? noHead.feed(Array("HTTP/1.1 200 OK\r\n".utf8)[...])
        XCTAssertThrowsError(try noHead.finish()) { XCTAssertEqual($0 as? HTTPResponseReadError, .closedBeforeHead) }
        var huge = HTTPResponseReader()
        XCTAssertThrowsError(try huge.feed(ArraySlice(Array("HTTP/1.1 200 OK\r\nX: ".utf8) + Array(repeating: 0x61, count: 70_000))))
        var close = HTTPResponseReader()
        XCTAssertEqual(try close.feed(Array("HTTP/1.0 200 OK\r\n\r\nall".utf8)[...]), Array("all".utf8))
        XCTAssertNoThrow(try close.finish())
        XCTAssertTrue(close.isComplete)
    }
}
