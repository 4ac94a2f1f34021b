@testable import Proxy
import XCTest

/// ManagedRequestField classifies by bytes what HeadRewriter's name sets say: the two must not drift apart.
final class ManagedRequestFieldTests: XCTestCase {
    private func kind(_ name: String) -> ManagedRequestField {
        Array(name.utf8).withUnsafeBytes { ManagedRequestField($0) }
    }

    func testEveryHopByHopNameInAnyCase() {
        for name in HeadRewriter.hopByHop {
            XCTAssertEqual(kind(name), .hopByHop, name)
            XCTAssertEqual(kind(name.uppercased()), .hopByHop, name)
        }
    }

    func testEveryManagedNameIsForwardedAndOnlyTheDashedThreeAreSpecial() {
        for name in HeadRewriter.forwardedHeaders {
            let expected: ManagedRequestField
            switch name {
            case "x-forwarded-for": expected = .forwardedFor
            case "x-forwarded-server": expected = .forwardedServer
            case "x-real-ip": expected = .realIP
            default: expected = .forwarded
            }
            XCTAssertEqual(kind(name), expected, name)
            XCTAssertEqual(kind(name.uppercased()), expected, name)
        }
    }

    func testHostContentLengthAndOthers() {
        XCTAssertEqual(kind("Host"), .host)
        XCTAssertEqual(kind("CONTENT-LENGTH"), .contentLength)
        for other in ["User-Agent", "Accept", "Cookie", "X-Forwarded-Fo", "Hosts", "Transfer-Encoding", "TE2", "",
                      String(repeating: "x", count: 70)] {
            XCTAssertEqual(kind(other), .other, other)
        }
    }
}
