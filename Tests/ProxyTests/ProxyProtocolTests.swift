import Proxy
import Reactor
import XCTest

/// PROXY protocol headers read and written as go-proxyproto v0.12.0 does for Traefik 3.7.
final class ProxyProtocolTests: XCTestCase {
    static let sig: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    func addr(_ host: String, _ port: UInt16) -> SocketAddress { SocketAddress(host: host, port: port)! }

    func testReading() {
        let get = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        let v1 = Array("PROXY TCP4 1.2.3.4 5.6.7.8 1000 80\r\n".utf8)
        let v2ipv4: [UInt8] = Self.sig + [0x21, 0x11, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 0x03, 0xE8, 0, 80]
        let cases: [([UInt8], ProxyProtocolRead, UInt)] = [
            ([], .needMore, #line),
            (get, .absent, #line),
            (Array("PRO".utf8), .needMore, #line),
            (Array("PUT / HTTP/1.1\r\n".utf8), .absent, #line),       // 'P' but not PROXY nor the v2 signature
            (Array("\r\n\r\n".utf8), .needMore, #line),               // could still be the v2 signature
            (v1 + get, .header(length: v1.count, source: addr("1.2.3.4", 1000), destination: addr("5.6.7.8", 80)), #line),
            (Array("PROXY TCP6 ::1 ::2 1 2\r\n".utf8), .header(length: 24, source: addr("::1", 1), destination: addr("::2", 2)), #line),
            (Array("PROXY TCP6 1.2.3.4 ::2 1 2\r\n".utf8), .header(length: 28, source: addr("::ffff:1.2.3.4", 1), destination: addr("::2", 2)), #line),
            (Array("PROXY UNKNOWN\r\n".utf8), .header(length: 15, source: nil, destination: nil), #line),
            (Array("PROXY TCP4 1.2.3.4 5.6.7.8 1000".utf8), .malformed("v1 header not received whole in one read"), #line),
            (Array("PROXY TCP4 1.2.3.4\r\n".utf8), .malformed("v1 header without addresses and ports"), #line),
            (Array("PROXY TCP4 ::1 5.6.7.8 1 2\r\n".utf8), .malformed("v1 address does not match TCP4"), #line),
            (Array("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n".utf8), .malformed("v1 port out of range"), #line),
            (Array("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n".utf8), .malformed("v1 header must end with CRLF"), #line),
            (Array("PROXY ".utf8) + [UInt8](repeating: 0x41, count: 110), .malformed("v1 header longer than 107 bytes"), #line),
            (v2ipv4 + get, .header(length: 28, source: addr("1.2.3.4", 1000), destination: addr("5.6.7.8", 80)), #line),
            (Array(v2ipv4.prefix(20)), .needMore, #line),             // a v2 header waits for its declared length
            (Self.sig + [0x20, 0x00, 0, 0], .header(length: 16, source: nil, destination: nil), #line),  // LOCAL
            (Self.sig + [0x21, 0x00, 0, 0], .malformed("v2 UNSPEC is only valid with LOCAL"), #line),
            (Self.sig + [0x31, 0x11, 0, 12], .malformed("v2 version/command byte 49 unsupported"), #line),
            (Self.sig + [0x21, 0x11, 0, 4], .malformed("v2 length 4 too short for its address family"), #line),
            (Self.sig + [0x21, 0x11, 0x10, 0x01], .malformed("v2 length 4097 over 4096"), #line),
            (Self.sig + [0x21, 0x41, 0, 12], .malformed("v2 address family 4 unsupported"), #line),
        ]
        for (bytes, expected, line) in cases {
            XCTAssertEqual(ProxyProtocolReader.read(bytes), expected, line: line)
        }
    }

    func testEveryPrefixOfAGoodHeaderIsSafe() {
        let v2: [UInt8] = Self.sig + [0x21, 0x21, 0, 36] + [UInt8](repeating: 7, count: 36)
        for n in 0...v2.count {
            let r = ProxyProtocolReader.read(Array(v2.prefix(n)))
            XCTAssertEqual(r, n < v2.count ? .needMore : ProxyProtocolReader.read(v2), "prefix \(n)")
        }
    }

    func testWritingRoundTrips() {
        let pairs: [(SocketAddress, SocketAddress)] = [
            (addr("1.2.3.4", 1000), addr("5.6.7.8", 80)),
            (addr("2001:db8::7", 4242), addr("2001:db8::1", 443)),
            (addr("::ffff:10.0.0.1", 5), addr("::ffff:10.0.0.2", 6)),  // a dual-stack socket's IPv4 peers go as TCP4
        ]
        for (source, destination) in pairs {
            for version in [1, 2] {
                let header = ProxyProtocolWriter.header(version: version, source: source, destination: destination)
                guard case .header(let length, let s?, let d?) = ProxyProtocolReader.read(header) else {
                    return XCTFail("\(version) \(source): \(header)")
                }
                XCTAssertEqual(length, header.count)
                XCTAssertEqual(s.unmapped.description, source.unmapped.description)
                XCTAssertEqual(d.unmapped.description, destination.unmapped.description)
            }
        }
        XCTAssertEqual(ProxyProtocolWriter.header(version: 1, source: addr("1.2.3.4", 1000), destination: addr("5.6.7.8", 80)),
                       Array("PROXY TCP4 1.2.3.4 5.6.7.8 1000 80\r\n".utf8))
        XCTAssertEqual(ProxyProtocolWriter.header(version: 1, source: nil, destination: nil), Array("PROXY UNKNOWN\r\n".utf8))
        XCTAssertEqual(ProxyProtocolWriter.header(version: 2, source: nil, destination: nil), Self.sig + [0x20, 0, 0, 0])
    }
}
