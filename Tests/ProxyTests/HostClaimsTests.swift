// Host names claimed by routers of different sources: reported once per pair, under the winner, in the
// order the route table uses (priority, then router name); one source's own routers never.
import Config
@testable import Proxy
import XCTest

final class HostClaimsTests: XCTestCase {
    private func claim(_ router: String, _ source: String, _ priority: Int, _ hosts: [String], _ entryPoints: Set<String>? = nil) -> HostClaim {
        HostClaim(router: router, location: SourceLocation(file: source, line: 0, column: 0), priority: priority, hosts: hosts,
                  entryPoints: entryPoints)
    }

    func testHigherPriorityFromAnotherContainerIsReportedUnderIt() {
        let lines = HostClaims.problems([
            claim("site", "docker container victim", 23, ["victim.test"]),
            claim("grab", "docker container hostile", 1000, ["victim.test"]),
        ])
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].hasPrefix("docker container hostile: router grab also routes host victim.test, which router site of docker container victim routes"), lines[0])
        XCTAssertTrue(lines[0].contains("higher priority 1000 > 23"), lines[0])
    }

    func testEqualPriorityWinsByRouterName() {
        let lines = HostClaims.problems([
            claim("zeta", "a.yml", 10, ["h.test"]),
            claim("alpha", "b.yml", 10, ["h.test"]),
        ])
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].hasPrefix("b.yml: router alpha also routes host h.test, which router zeta of a.yml routes"), lines[0])
        XCTAssertTrue(lines[0].contains("same priority 10"), lines[0])
    }

    func testOneSourcesRoutersAndSeparateEntryPointsAreNotReported() {
        XCTAssertEqual(HostClaims.problems([
            claim("site", "docker container a", 10, ["h.test"]),
            claim("site-api", "docker container a", 30, ["h.test"]),
        ]), [])
        XCTAssertEqual(HostClaims.problems([
            claim("lan", "a.yml", 10, ["h.test"], ["web"]),
            claim("wan", "b.yml", 10, ["h.test"], ["websecure"]),
        ]), [])
        XCTAssertEqual(HostClaims.problems([
            claim("one", "a.yml", 10, ["a.test"]),
            claim("two", "b.yml", 10, ["b.test"]),
        ]), [])
    }

    func testThreeSourcesGiveOneLinePerPair() {
        let lines = HostClaims.problems([
            claim("x", "a.yml", 30, ["h.test"]),
            claim("y", "b.yml", 20, ["h.test"]),
            claim("z", "c.yml", 10, ["h.test"]),
        ])
        XCTAssertEqual(lines.count, 3)
    }
}
