@testable import HTTP
import XCTest

final class HTTPChunkedDecoderTests: XCTestCase {
    let valid: [(encoded: String, payload: String, trailers: String)] = [
        ("0\r\n\r\n", "", ""),
        ("5\r\nhello\r\n0\r\n\r\n", "hello", ""),
        ("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", ""),
        ("A\r\n0123456789\r\n0\r\n\r\n", "0123456789", ""),
        ("a\r\n0123456789\r\n000\r\n\r\n", "0123456789", ""),
        ("3;name=value\r\nabc\r\n0\r\n\r\n", "abc", ""),
        ("3 ; a ; b=\"q \\\" s\" ;c=tok\r\nabc\r\n0;last\r\n\r\n", "abc", ""),
        ("3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n", "abc", "Expires: never\r\nX-Sum: 1\r\n"),
        ("0000000000000001\r\nx\r\n0\r\n\r\n", "x", ""),
        ("2\r\n\r\n\r\n0\r\n\r\n", "\r\n", ""),
    ]

    func testValidBodies() throws {
        for c in valid {
            let buffer = httpBytes(c.encoded + "NEXT")
            let decoded = try XCTUnwrap(ChunkedDecoder.decode(buffer), c.encoded.debugDescription)
            XCTAssertEqual(String(decoding: decoded.payload, as: UTF8.self), c.payload)
            XCTAssertEqual(decoded.body.encodedLength, c.encoded.utf8.count, c.encoded.debugDescription)
            XCTAssertEqual(decoded.body.payloadLength, UInt64(c.payload.utf8.count))
            XCTAssertEqual(httpString(buffer, decoded.body.trailers), c.trailers)
        }
    }

    /// Splits every valid body at every position and feeds it in two reads, as the proxy would receive it; the
    /// payload is "spliced" (counted, never looked at) and must end at the same place.
    func testSplitAtEveryPosition() throws {
        for c in valid {
            let buffer = httpBytes(c.encoded)
            for split in 0...buffer.count {
                let end = try feed(buffer, reads: [split, buffer.count - split])
                XCTAssertEqual(end, buffer.count, "\(c.encoded.debugDescription) split at \(split)")
            }
            // One byte per read.
            XCTAssertEqual(try feed(buffer, reads: Array(repeating: 1, count: buffer.count)), buffer.count)
        }
    }

    /// Simulates the proxy: `reads` are the sizes in which the stream arrives on the socket. Framing bytes are
    /// read into a user-space buffer; payload is taken from that buffer first, then "spliced" straight from the
    /// socket (counted, never looked at).
    private func feed(_ stream: [UInt8], reads: [Int]) throws -> Int? {
        var decoder = ChunkedDecoder()
        var buffered: [UInt8] = []
        var arrived = 0      // stream bytes that reached the socket
        var taken = 0        // of those, read into `buffered` or spliced
        var forwarded = 0
        var readIndex = 0
        func arrive() -> Bool {
            guard readIndex < reads.count else { return false }
            arrived = min(stream.count, arrived + reads[readIndex])
            readIndex += 1
            return true
        }
        while true {
            switch try decoder.next(buffered) {
            case .needMore:
                if taken == arrived, !arrive() { return nil }
                buffered += stream[taken..<arrived]
                taken = arrived
            case .chunkHeader(let consumed, _), .chunkEnd(let consumed), .trailers(let consumed):
                buffered.removeFirst(consumed)
                forwarded += consumed
            case .payload(let remaining):
                let n: Int
                if !buffered.isEmpty {
                    n = min(buffered.count, Int(remaining))
                    buffered.removeFirst(n)
                } else {
                    if taken == arrived, !arrive() { return nil }
                    n = min(arrived - taken, Int(remaining))
                    taken += n
                }
                forwarded += n
                decoder.payloadMoved(UInt64(n))
            case .done:
                XCTAssertTrue(decoder.isDone)
                return forwarded
            }
        }
    }

    func testStepSequence() throws {
        var decoder = ChunkedDecoder()
        XCTAssertEqual(try decoder.next(httpBytes("1")), .needMore)
        XCTAssertEqual(try decoder.next(httpBytes("1a\r\nxyz")), .chunkHeader(consumed: 4, size: 26))
        XCTAssertEqual(try decoder.next(httpBytes("")), .payload(remaining: 26))
        decoder.payloadMoved(20)
        XCTAssertEqual(try decoder.next(httpBytes("")), .payload(remaining: 6))
        decoder.payloadMoved(100)
        XCTAssertEqual(try decoder.next(httpBytes("\r")), .needMore)
        XCTAssertEqual(try decoder.next(httpBytes("\r\n0\r\n")), .chunkEnd(consumed: 2))
        XCTAssertEqual(try decoder.next(httpBytes("0\r\n")), .chunkHeader(consumed: 3, size: 0))
        XCTAssertEqual(try decoder.next(httpBytes("X: 1\r\n")), .needMore)
        XCTAssertEqual(try decoder.next(httpBytes("X: 1\r\n\r\nGET")), .trailers(consumed: 8))
        XCTAssertEqual(try decoder.next(httpBytes("GET")), .done)
    }

    func testInvalidBodies() {
        let cases: [(String, HTTPChunkedError, UInt)] = [
            ("\r\n", .invalidChunkSize, #line),
            ("x\r\n", .invalidChunkSize, #line),
            ("-1\r\n", .invalidChunkSize, #line),
            ("+1\r\n", .invalidChunkSize, #line),
            ("0x5\r\nhello\r\n", .invalidChunkSize, #line),
            ("5\"\r\nhello\r\n", .invalidChunkSize, #line),
            ("8000000000000000\r\n", .chunkSizeTooLarge, #line),
            ("ffffffffffffffff\r\n", .chunkSizeTooLarge, #line),
            ("00000000000000001\r\n", .chunkSizeTooLarge, #line),
            ("5 \r\nhello\r\n", .invalidChunkExtension, #line),
            ("5;\r\nhello\r\n", .invalidChunkExtension, #line),
            ("5;a=\r\nhello\r\n", .invalidChunkExtension, #line),
            ("5;a=\"open\r\nhello\r\n", .invalidChunkExtension, #line),
            ("5;a b\r\nhello\r\n", .invalidChunkExtension, #line),
            ("5;a\u{0}\r\nhello\r\n", .invalidChunkExtension, #line),
            ("5;" + String(repeating: "e", count: 5000) + "\r\n", .chunkLineTooLong, #line),
            ("5\nhello\r\n0\r\n\r\n", .missingCRLF, #line),
            ("5\rhello", .missingCRLF, #line),
            ("5\r\nhelloX\r\n0\r\n\r\n", .missingCRLF, #line),
            ("5\r\nhello\rX", .missingCRLF, #line),
            ("5\r\nhello\n0\r\n\r\n", .missingCRLF, #line),
            ("0\r\nX: 1\n\r\n", .missingCRLF, #line),
            ("0\r\nBad Trailer: 1\r\n\r\n", .invalidTrailer, #line),
            ("0\r\n: 1\r\n\r\n", .invalidTrailer, #line),
            ("0\r\n folded\r\n\r\n", .invalidTrailer, #line),
            ("0\r\nX: \u{1}\r\n\r\n", .invalidTrailer, #line),
            ("0\r\n" + String(repeating: "X-T: 0123456789\r\n", count: 1000), .trailersTooLarge, #line),
        ]
        for (raw, expected, line) in cases {
            XCTAssertThrowsError(try ChunkedDecoder.scan(httpBytes(raw)), raw.debugDescription, line: line) { error in
                XCTAssertEqual(error as? HTTPChunkedError, expected, raw.debugDescription, line: line)
            }
        }
    }

    func testIncompleteBodies() throws {
        for raw in ["", "5", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r", "5\r\nhello\r\n0\r\n",
                    "5\r\nhello\r\n0\r\nX: 1\r\n", "5\r\nhello\r\n0\r\n\r"] {
            XCTAssertNil(try ChunkedDecoder.scan(httpBytes(raw)), raw.debugDescription)
        }
    }
}
