import XCTest
@testable import Config

final class HostPortTests: XCTestCase {
    func testParse() {
        let cases: [(String, HostPort?, UInt)] = [
            ("127.0.0.1:7000", HostPort(host: "127.0.0.1", port: 7000, isIPv6: false), #line),
            ("0.0.0.0:1", HostPort(host: "0.0.0.0", port: 1, isIPv6: false), #line),
            (":80", HostPort(host: "", port: 80, isIPv6: false), #line),
            ("[::1]:8080", HostPort(host: "::1", port: 8080, isIPv6: true), #line),
            ("[::]:65535", HostPort(host: "::", port: 65535, isIPv6: true), #line),
            ("[2001:db8::a:1]:53", HostPort(host: "2001:db8::a:1", port: 53, isIPv6: true), #line),
            ("[::ffff:10.0.0.1]:53", HostPort(host: "::ffff:10.0.0.1", port: 53, isIPv6: true), #line),
            ("127.0.0.1:0", nil, #line),           // port 0 = "any free port": never what a config means
            ("127.0.0.1:65536", nil, #line),
            ("127.0.0.1:080000", nil, #line),
            ("127.0.0.1:+80", nil, #line),
            ("127.0.0.1: 80", nil, #line),
            ("127.0.0.1", nil, #line),
            ("127.0.0.1:", nil, #line),
            ("localhost:80", nil, #line),           // host names need a resolver
            ("example.com:443", nil, #line),
            ("256.0.0.1:80", nil, #line),
            ("1.2.3:80", nil, #line),
            ("01.2.3.4:80", nil, #line),
            ("::1:80", nil, #line),                 // IPv6 needs brackets
            ("[::1]", nil, #line),
            ("[]:80", nil, #line),
            ("[127.0.0.1]:80", nil, #line),
            ("[fe80::1%eth0]:80", nil, #line),
            ("[::1:80", nil, #line),
            ("1.2.3.4\u{0}x:80", nil, #line),
            ("", nil, #line),
            (":", nil, #line),
        ]
        for (text, expected, line) in cases {
            XCTAssertEqual(HostPort.parse(text), expected, text, line: line)
        }
    }

    func testDescriptionRoundTrips() {
        for text in ["127.0.0.1:7000", ":80", "[::1]:8080"] {
            XCTAssertEqual(HostPort.parse(text)?.description, text)
        }
    }

    func testOverlaps() {
        let cases: [(String, String, Bool)] = [
            ("127.0.0.1:80", "127.0.0.1:80", true),
            (":80", "127.0.0.1:80", true),
            ("127.0.0.1:80", ":80", true),
            ("127.0.0.1:80", "127.0.0.2:80", false),
            ("127.0.0.1:80", "127.0.0.1:81", false),
        ]
        for (a, b, expected) in cases {
            guard let left = HostPort.parse(a), let right = HostPort.parse(b) else { return XCTFail("\(a) \(b)") }
            XCTAssertEqual(left.overlaps(right), expected, "\(a) vs \(b)")
        }
    }

    func testEntryPointAddresses() {
        let cases: [(String, String?, EntryPointConfig.Transport?, UInt)] = [
            (":80", ":80", .tcp, #line),
            ("127.0.0.1:8080", "127.0.0.1:8080", .tcp, #line),
            ("[::1]:80", "[::1]:80", .tcp, #line),
            (":53/udp", ":53", .udp, #line),
            (":443/tcp", ":443", .tcp, #line),
            ("127.0.0.1:53/UDP", "127.0.0.1:53", .udp, #line),
            (":53/sctp", nil, nil, #line),
            (":53/", nil, nil, #line),
            ("web:80", nil, nil, #line),
            ("80", nil, nil, #line),
        ]
        for (text, address, transport, line) in cases {
            let parsed = EntryPointConfig.parseAddress(text)
            XCTAssertEqual(parsed?.address.description, address, text, line: line)
            XCTAssertEqual(parsed?.transport, transport, text, line: line)
        }
    }
}
