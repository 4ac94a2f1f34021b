import Proxy
import TestSupport
import XCTest

final class ClientHelloTests: XCTestCase {
    typealias S = ClientHelloSamples

    func testCapturedOpenSSLHellos() {
        let cases: [(String, [UInt8], ClientHelloPeek)] = [
            ("TLS 1.3", S.openSSLTLS13, .hello(serverName: "x.test", alpn: ["h2", "http/1.1"])),
            ("TLS 1.2, upper-case SNI", S.openSSLTLS12, .hello(serverName: "x.test", alpn: ["http/1.1"])),
            ("no SNI", S.openSSLNoSNI, .hello(serverName: nil, alpn: [])),
        ]
        for (name, bytes, expected) in cases {
            XCTAssertEqual(ClientHello.peek(bytes), expected, name)
            // Bytes after the hello (a pipelining client) do not change the answer.
            XCTAssertEqual(ClientHello.peek(bytes + [0x17, 3, 3, 0, 1, 0]), expected, name + " + trailing")
        }
    }

    func testSplitAcrossRecords() {
        let message = S.message([S.serverNameExtension([(0, "Split.Example")]), S.alpnExtension(["h2"])])
        for fragment in [1, 2, 3, 4, 5, 17, 100, message.count - 1] {
            let bytes = S.records(message, fragment: fragment)
            XCTAssertEqual(ClientHello.peek(bytes), .hello(serverName: "split.example", alpn: ["h2"]),
                           "fragment \(fragment)")
        }
        // A captured hello re-split into 7-byte records.
        let captured = Array(S.openSSLTLS13.dropFirst(5))
        XCTAssertEqual(ClientHello.peek(S.records(captured, fragment: 7)),
                       .hello(serverName: "x.test", alpn: ["h2", "http/1.1"]))
    }

    /// Every proper prefix of a valid hello asks for more; none traps.
    func testEveryTruncation() {
        let samples = [S.openSSLTLS13, S.openSSLTLS12, S.openSSLNoSNI,
                       S.records(Array(S.openSSLTLS13.dropFirst(5)), fragment: 13)]
        for sample in samples {
            for length in 0..<sample.count {
                XCTAssertEqual(ClientHello.peek(Array(sample.prefix(length))), .needMore, "prefix \(length)")
            }
        }
    }

    func testNotTLS() {
        let cases: [[UInt8]] = [
            Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), Array("G".utf8), Array("SSH-2.0-OpenSSH\r\n".utf8),
            [0x80, 0x2e, 0x01],  // SSLv2-style hello
            [0x16, 0x02], [0x16, 0x03, 0x05], [0x16, 0x04, 0x01, 0x00, 0x10],
            [0x17, 0x03, 0x03, 0x00, 0x10],  // application data first
        ]
        for bytes in cases { XCTAssertEqual(ClientHello.peek(bytes), .notTLS, "\(bytes.prefix(8))") }
        XCTAssertEqual(ClientHello.peek([]), .needMore)
        XCTAssertEqual(ClientHello.peek([0x16]), .needMore)
        XCTAssertEqual(ClientHello.peek([0x16, 0x03]), .needMore)
    }

    func testExtensionsAndEdgeShapes() {
        let ext = S.serverNameExtension, alpn = S.alpnExtension
        let cases: [(String, [UInt8], ClientHelloPeek)] = [
            ("no extensions block", S.records(S.message(nil)), .hello(serverName: nil, alpn: [])),
            ("empty session id", S.records(S.message([ext([(0, "a.b")])], sessionID: 0)),
             .hello(serverName: "a.b", alpn: [])),
            ("unknown name type skipped", S.records(S.message([ext([(7, "zz"), (0, "a.b")])])),
             .hello(serverName: "a.b", alpn: [])),
            ("underscore and digits", S.hello(sni: "_acme.1x-y.LAN"), .hello(serverName: "_acme.1x-y.lan", alpn: [])),
            ("ALPN only", S.hello(sni: nil, alpn: ["h2", "http/1.1"]), .hello(serverName: nil, alpn: ["h2", "http/1.1"])),
            ("record version 3.3", S.records(S.message([ext([(0, "a.b")])]), version: [3, 3]),
             .hello(serverName: "a.b", alpn: [])),
            ("trailing dot", S.hello(sni: "a.b."), .malformed),
            ("empty label", S.hello(sni: "a..b"), .malformed),
            ("space in name", S.hello(sni: "a b"), .malformed),
            ("IPv6 literal", S.hello(sni: "::1"), .malformed),
            ("label of 64", S.hello(sni: String(repeating: "a", count: 64) + ".b"), .malformed),
            ("label of 63", S.hello(sni: String(repeating: "a", count: 63) + ".b"),
             .hello(serverName: String(repeating: "a", count: 63) + ".b", alpn: [])),
            ("two host names", S.records(S.message([ext([(0, "a.b"), (0, "c.d")])])), .malformed),
            ("SNI extension twice", S.records(S.message([ext([(0, "a.b")]), ext([(0, "a.b")])])), .malformed),
            ("empty SNI list", S.records(S.message([(0, S.u16(0))])), .malformed),
            ("empty SNI data", S.records(S.message([(0, [])])), .malformed),
            ("empty ALPN protocol", S.records(S.message([alpn(["h2", ""])])), .malformed),
            ("empty ALPN list", S.records(S.message([(16, S.u16(0))])), .malformed),
            ("ALPN data longer than list", S.records(S.message([(16, alpn(["h2"]).1 + [0])])), .malformed),
            ("session id of 33", S.records(S.message([], sessionID: 33)), .malformed),
            ("not a ClientHello", S.records([2] + Array(S.message(nil).dropFirst())), .malformed),
            ("zero-length record", [0x16, 3, 1, 0, 0], .malformed),
            ("oversized record", [0x16, 3, 1, 0x40, 0x01], .malformed),
            ("oversized hello", [0x16, 3, 1, 0x40, 0x00, 1, 0, 0x40, 0], .malformed),
            ("alert between fragments",
             Array(S.records(S.message(nil), fragment: 10).prefix(15)) + [0x15, 3, 3, 0, 2, 2, 40], .malformed),
        ]
        for (name, bytes, expected) in cases {
            XCTAssertEqual(ClientHello.peek(bytes), expected, name)
        }
    }

    func testNeverBuffersWithoutEnd() {
        // A hello declared at the cap, in 1-byte records: at the cap it is refused, not waited for.
        let message = S.message([(0xff01, [UInt8](repeating: 0, count: 5000))])
        let bytes = S.records(message, fragment: 1)
        XCTAssertGreaterThan(bytes.count, ClientHello.maximumPeekBytes)
        XCTAssertEqual(ClientHello.peek(Array(bytes.prefix(ClientHello.maximumPeekBytes - 1))), .needMore)
        XCTAssertEqual(ClientHello.peek(Array(bytes.prefix(ClientHello.maximumPeekBytes))), .malformed)
    }

    /// Random bytes, random mutations of real hellos and random record splits: any answer, never a trap.
    func testFuzz() {
        var rng = SplitMix64(state: 0x5709)
        let seeds = [S.openSSLTLS13, S.openSSLTLS12, S.openSSLNoSNI, S.hello(sni: "a.b", alpn: ["h2"])]
        var answers: [String: Int] = [:]
        for round in 0..<30_000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:
                bytes = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if rng.next() % 2 == 0, !bytes.isEmpty { bytes[0] = 0x16 }
                if rng.next() % 2 == 0, bytes.count > 2 { bytes[1] = 3; bytes[2] = 1 }
            case 1:
                bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
                for _ in 0..<(1 + rng.next() % 4) {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 4 == 0 { bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1)))) }
            default:
                let message = Array(seeds[Int(rng.next() % UInt64(seeds.count))].dropFirst(5))
                bytes = S.records(message, fragment: 1 + Int(rng.next() % 64))
                let at = Int(rng.next() % UInt64(bytes.count))
                bytes[at] ^= UInt8(truncatingIfNeeded: 1 + rng.next() % 255)
            }
            let answer: String
            switch ClientHello.peek(bytes) {
            case .needMore: answer = "needMore"
            case .notTLS: answer = "notTLS"
            case .malformed: answer = "malformed"
            case .hello: answer = "hello"
            }
            answers[answer, default: 0] += 1
        }
        XCTAssertEqual(answers.count, 4, "fuzz reached every answer: \(answers)")
    }
}
