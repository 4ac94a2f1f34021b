@testable import HTTP
import TestSupport
import XCTest

/// Random mutations of valid messages: the parsers may accept or refuse, but never crash, never claim a head
/// longer than the buffer, and never disagree between a whole buffer and its prefixes.
final class HTTPFuzzTests: XCTestCase {
    let seeds: [[UInt8]] = [
        httpBytes("GET /a?b=c HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, Upgrade\r\nUpgrade: ws\r\n\r\n"),
        httpBytes("POST http://a.test/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTE: trailers\r\n\r\n"),
        httpBytes("PUT / HTTP/1.0\r\nContent-Length: 10, 10\r\nExpect: 100-continue\r\n\r\n"),
        httpBytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
        httpBytes("5;a=\"b\"\r\nhello\r\n0\r\nX: y\r\n\r\n"),
    ]
    let interesting: [UInt8] = Array("\r\n :;,\"\t\u{0}0fF-+=/*?@[]".utf8) + [0x7F, 0x80, 0xFF]

    func testRandomMutationsNeverCrash() {
        var rng = SplitMix64(state: 0x5709)
        let limits = HTTPParseLimits(maxHeadBytes: 512, maxLineBytes: 128, maxFieldCount: 8)
        for round in 0..<30_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...6, using: &rng) { mutate(&bytes, &rng) }
            check(bytes, limits: limits)
            check(bytes, limits: HTTPParseLimits())
            _ = try? ChunkedDecoder.scan(bytes, decoder: ChunkedDecoder(maxLineBytes: 64, maxTrailerBytes: 128))
        }
    }

    private func check(_ bytes: [UInt8], limits: HTTPParseLimits) {
        let request = HTTPRequestHead.parse(bytes, limits: limits)
        if let length = request.headLength { XCTAssertLessThanOrEqual(length, bytes.count) }
        let response = HTTPResponseHead.parse(bytes, requestMethod: .get, limits: limits)
        if let length = response.headLength { XCTAssertLessThanOrEqual(length, bytes.count) }
        // A prefix never contradicts the whole: it is incomplete or gives the same answer.
        let cut = bytes.count / 2
        let prefix = HTTPRequestHead.parse(bytes[..<cut], limits: limits)
        if !prefix.isIncomplete { XCTAssertEqual(prefix, request) }
    }

    private func mutate(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
        let byte = Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0 where !bytes.isEmpty: bytes[position] = byte
        case 1: bytes.insert(byte, at: position)
        case 2 where !bytes.isEmpty: bytes.remove(at: position)
        case 3 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...20, using: &rng))
            bytes.insert(contentsOf: bytes[position..<end], at: position)
        default: bytes = Array(bytes[..<position])
        }
    }
}
