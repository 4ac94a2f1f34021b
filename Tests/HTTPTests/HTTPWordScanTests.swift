@testable import HTTP
import XCTest

/// The parsers scan line ends and field values eight bytes at a time (HTTPASCII.bytesBelow). These tests put
/// every byte value at every position of a value that spans several words, both alignments of the head,
/// and check the answer against the rule written byte by byte: the word scan must neither miss a byte nor
/// report one at the wrong offset.
final class HTTPWordScanTests: XCTestCase {
    func testBytesBelowFindsTheFirstByteOfEveryWord() {
        for n: UInt8 in [1, 0x0E, 0x20] {
            for position in 0..<8 {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: 0x61, count: 8)
                    bytes[position] = UInt8(value)
                    if position < 7 { bytes[7] = 0 }  // a later low byte must not hide the first
                    let word = bytes.withUnsafeBytes { HTTPASCII.word($0, at: 0) }
                    let found = HTTPASCII.bytesBelow(n, in: word)
                    let expected = bytes.firstIndex { $0 < n }
                    if let expected {
                        XCTAssertEqual(found.trailingZeroBitCount >> 3, expected, "n \(n) byte \(value) at \(position)")
                    } else {
                        XCTAssertEqual(found, 0, "n \(n) byte \(value) at \(position)")
                    }
                }
            }
        }
    }

    func testEveryByteInAFieldValueAtEveryPosition() {
        let value = Array("abcdefghijklmnopqrstuvwxyz0123".utf8)
        for lead in ["", "Xx"] {  // two alignments of the value in the buffer
            let prefix = Array("GET / HTTP/1.1\r\nHost: a.test\r\n\(lead)V: ".utf8)
            for position in 0..<value.count {
                for b in 0...255 {
                    let byte = UInt8(b)
                    var v = value
                    v[position] = byte
                    let raw = prefix + v + Array("\r\nZ: z\r\n\r\n".utf8)
                    let result = HTTPRequestHead.parse(raw)
                    let offset = prefix.count + position
                    switch byte {
                    case HTTPASCII.cr:
                        XCTAssertEqual(result.parseError, .bareLineEnding(offset: offset), "CR at \(position)")
                    case HTTPASCII.lf:
                        XCTAssertEqual(result.parseError, .bareLineEnding(offset: offset), "LF at \(position)")
                    default:
                        if HTTPASCII.isFieldValueByte(byte) {
                            guard case .complete(let head, let length) = result else {
                                return XCTFail("byte \(b) at \(position): \(result)")
                            }
                            XCTAssertEqual(length, raw.count)
                            XCTAssertEqual(head.fields.count, 3)
                        } else {
                            XCTAssertEqual(result.parseError, .invalidFieldValue(offset: offset), "byte \(b) at \(position)")
                        }
                    }
                }
            }
        }
    }

    func testEveryByteInAFieldNameAtEveryPosition() {
        let name = Array("X-Long-Header-Name-Here".utf8)
        let prefix = Array("GET / HTTP/1.1\r\nHost: a.test\r\n".utf8)
        for position in 0..<name.count {
            for b in 0...255 {
                let byte = UInt8(b)
                var n = name
                n[position] = byte
                let raw = prefix + n + Array(": v\r\n\r\n".utf8)
                let result = HTTPRequestHead.parse(raw)
                let tokenByte = (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
                    || "!#$%&'*+-.^_`|~".utf8.contains(byte)
                XCTAssertEqual(HTTPASCII.isTokenByte(byte), tokenByte, "byte \(b)")
                if tokenByte || (byte == HTTPASCII.colon && position > 0) {  // a colon ends the name early
                    guard case .complete = result else { return XCTFail("byte \(b) at \(position): \(result)") }
                } else {
                    XCTAssertNotNil(result.parseError, "byte \(b) at \(position)")
                }
            }
        }
    }

    func testBareLineEndsInResponsesAtEveryPosition() {
        // Responses accept a bare LF as a line end: the word scan must stop at it wherever it falls.
        for position in 0..<24 {
            var raw = Array("HTTP/1.1 200 OK\r\nA: 0123456789abcdefghijklmn\r\n\r\n".utf8)
            let at = 20 + position  // in A's value
            raw[at] = HTTPASCII.lf
            raw.insert(contentsOf: Array("B:".utf8), at: at + 1)
            let result = HTTPResponseHead.parse(raw, requestMethod: .get)
            guard case .complete(let head, _) = result else { return XCTFail("LF at \(position): \(result)") }
            XCTAssertEqual(head.fields.count, 2, "LF at \(position)")
        }
    }
}
