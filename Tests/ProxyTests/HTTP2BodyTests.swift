// HTTP/1.1 bodies turned back into HTTP/2 payload and trailers (Proxy/HTTP2/HTTP2OutgoingBody.swift) and
// field sections for nghttp2 (Proxy/HTTP2/HTTP2FieldBlock.swift): the pieces both HTTP/2 sides share.
import CNGHTTP2
import HTTP
@testable import Proxy
import XCTest

final class HTTP2BodyTests: XCTestCase {
    /// Feeds `pieces` one by one with `room` each; the payload, the trailers, whether the body ended, and
    /// the counts taken.
    private func unframe(_ framing: HTTPBodyFraming, _ pieces: [String], room: Int = 1 << 20)
        -> (payload: String, trailers: String, done: Bool, taken: [Int]) {
        var u = BodyUnframer(framing)
        var body: [UInt8] = []
        var taken: [Int] = []
        for p in pieces {
            let bytes = Array(p.utf8)
            taken.append(bytes.withUnsafeBytes { u.accept($0, room: room, into: &body) })
        }
        return (String(decoding: body, as: UTF8.self), String(decoding: u.trailers, as: UTF8.self), u.isDone, taken)
    }

    func testKnownLengthPassesThroughAndStopsAtItsEnd() {
        let r = unframe(.contentLength(5), ["hel", "lo", "extra"])
        XCTAssertEqual(r.payload, "hello")
        XCTAssertTrue(r.done)
        XCTAssertEqual(r.taken, [3, 2, 0])
        XCTAssertTrue(unframe(.contentLength(0), []).done)
        XCTAssertTrue(unframe(.none, []).done)
    }

    func testRoomLimitsWhatIsTaken() {
        let r = unframe(.contentLength(10), ["0123456789"], room: 4)
        XCTAssertEqual(r.taken, [4])
        XCTAssertEqual(r.payload, "0123")
        XCTAssertFalse(r.done)
    }

    func testChunksAcrossPiecesWithTrailers() {
        let r = unframe(.chunked, ["3\r\nab", "c\r\n2\r", "\nde\r\n0\r\nGrpc-Status: 0\r\n", "X-T: 1\r\n\r\n"])
        XCTAssertEqual(r.payload, "abcde")
        XCTAssertEqual(r.trailers, "Grpc-Status: 0\r\nX-T: 1\r\n")
        XCTAssertTrue(r.done)
    }

    func testLastChunkWithoutTrailersAndBadFraming() {
        let r = unframe(.chunked, ["1\r\nx\r\n0\r\n\r\n"])
        XCTAssertEqual(r.payload, "x")
        XCTAssertEqual(r.trailers, "")
        XCTAssertTrue(r.done)
        XCTAssertEqual(unframe(.chunked, ["zz\r\n"]).taken, [-1])
    }

    func testUntilEndFinishesWhenTheWriterEnds() {
        var u = BodyUnframer(.untilClose)
        var body: [UInt8] = []
        _ = Array("abc".utf8).withUnsafeBytes { u.accept($0, room: 100, into: &body) }
        XCTAssertFalse(u.isDone)
        u.writerEnded()
        XCTAssertTrue(u.isDone)
        XCTAssertEqual(body, Array("abc".utf8))
    }

    func testOutgoingBodyDefersThenEndsWithTrailers() {
        var out = HTTP2OutgoingBody()
        var buf = [UInt8](repeating: 0, count: 8)
        var flags: UInt32 = 0
        var submitted: [UInt8]? = nil
        let submit: ([UInt8]) -> Bool = { submitted = $0; return true }
        XCTAssertEqual(out.take(into: &buf, max: 8, flags: &flags, submitTrailers: submit), Int(NGHTTP2_ERR_DEFERRED.rawValue))
        XCTAssertTrue(out.deferred)
        out.bytes = Array("0123456789".utf8)
        out.ended = true
        out.trailers = Array("x-t: 1\r\n".utf8)
        XCTAssertEqual(out.take(into: &buf, max: 8, flags: &flags, submitTrailers: submit), 8)
        XCTAssertEqual(flags, 0)
        XCTAssertEqual(out.take(into: &buf, max: 8, flags: &flags, submitTrailers: submit), 2)
        XCTAssertEqual(Array(buf[0..<2]), Array("89".utf8))
        XCTAssertEqual(flags, NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue)
        XCTAssertEqual(submitted, Array("x-t: 1\r\n".utf8))
    }

    func testFieldLinesLowerCasedTrimmedAndConnectionSpecificLeftOut() {
        var block = HTTP2FieldBlock()
        block.addFieldLines(Array("Grpc-Status:  0 \r\nConnection: close\r\nbroken line\r\nX-T:\t1\r\n".utf8))
        let fields = block.withNV { nva, count in
            (0..<count).map { i -> String in
                let nv = nva![i]
                return String(decoding: UnsafeBufferPointer(start: nv.name, count: nv.namelen), as: UTF8.self) + "="
                    + String(decoding: UnsafeBufferPointer(start: nv.value, count: nv.valuelen), as: UTF8.self)
            }
        }
        XCTAssertEqual(fields, ["grpc-status=0", "x-t=1"])
        XCTAssertTrue(HTTP2FieldBlock.isConnectionSpecific(Array("Transfer-Encoding".utf8)))
        XCTAssertFalse(HTTP2FieldBlock.isConnectionSpecific(Array("te".utf8)))
    }
}
