// dnsmasq's interface= lines: the addresses of the named interfaces, read through the Reactor's
// NetworkInterface (loopback exists wherever the tests run).
@testable import DNS
import XCTest

final class InterfaceAddressesTests: XCTestCase {
    func testLoopbackAddressesWithoutLinkLocal() {
        let lo = InterfaceAddresses.of(["lo"])
        XCTAssertTrue(lo.contains("127.0.0.1"), "\(lo)")
        XCTAssertFalse(lo.contains { $0.lowercased().hasPrefix("fe80") })
        XCTAssertEqual(Set(lo).count, lo.count, "each address once")
        XCTAssertEqual(InterfaceAddresses.of(["no-such-interface"]), [])
        let every = InterfaceAddresses.of(["lo", "eth0", "ens3", "enp0s3"])
        XCTAssertFalse(every.contains { $0.lowercased().hasPrefix("fe80") }, "link-local addresses are skipped")
    }
}
