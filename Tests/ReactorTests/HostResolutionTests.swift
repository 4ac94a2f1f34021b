// The Reactor's homes for getaddrinfo (SocketAddress.resolving) and getifaddrs (NetworkInterface.all),
// on this machine's real resolver and interfaces: the loopback ones exist everywhere the tests run.
import Reactor
import XCTest

final class HostResolutionTests: XCTestCase {
    func testResolvingGivesTheAddressWithThePort() throws {
        let numeric = try XCTUnwrap(SocketAddress.resolving(host: "10.1.2.3", port: 8080))
        XCTAssertEqual(numeric.description, "10.1.2.3:8080")
        XCTAssertEqual(numeric.ipText, "10.1.2.3")
        let v6 = try XCTUnwrap(SocketAddress.resolving(host: "fd00::1", port: 53))
        XCTAssertEqual(v6.description, "[fd00::1]:53")
        XCTAssertEqual(v6.ipText, "fd00::1")
        // /etc/hosts names localhost on every system the tests run on.
        let local = try XCTUnwrap(SocketAddress.resolving(host: "localhost", port: 443))
        XCTAssertTrue(["127.0.0.1:443", "[::1]:443"].contains(local.description), local.description)
        XCTAssertNil(SocketAddress(unixPath: "/tmp/x")?.ipText)
    }

    func testInterfacesListLoopbackWithItsAddress() throws {
        let all = NetworkInterface.all()
        XCTAssertEqual(Set(all.map(\.name)).count, all.count, "one entry per interface")
        let lo = try XCTUnwrap(all.first { $0.name == "lo" })
        XCTAssertTrue(lo.flags.contains(.loopback) && lo.flags.contains(.up))
        XCTAssertTrue(lo.addresses.contains { $0.ipv4 == 0x7F00_0001 }, "\(lo.addresses)")
        XCTAssertTrue(lo.addresses.allSatisfy { $0.description.hasSuffix(":0") })
    }
}
