@testable import Rules
import XCTest

final class RulePriorityTests: XCTestCase {
    struct Route: PrioritizedRoute, Equatable {
        let name: String
        let priority: Int
    }

    func testDefaultPriorityIsRuleByteLength() {
        let cases: [(String, Int)] = [
            ("HostRegexp(`[a-z]+\\.traefik\\.com`)", 34),
            ("Host(`foobar.traefik.com`)", 26),
            ("Host(`é`)", 10),  // bytes, not characters
            ("", 0),
        ]
        for (rule, length) in cases { XCTAssertEqual(RulePriority.defaultPriority(rule: rule), length, rule) }
        XCTAssertEqual(RulePriority.effective(configured: 0, rule: "Host(`a`)"), 9)
        XCTAssertEqual(RulePriority.effective(configured: -5, rule: "Host(`a`)"), -5)
        XCTAssertEqual(RulePriority.effective(configured: 100, rule: "Host(`a`)"), 100)
    }

    func testLongerRuleWinsAndSortOrder() throws {
        let regexRule = "HostRegexp(`[a-z]+\\.traefik\\.com`)"
        let hostRule = "Host(`foobar.traefik.com`)"
        let routes = [
            Route(name: "host", priority: RulePriority.defaultPriority(rule: hostRule)),
            Route(name: "regex", priority: RulePriority.defaultPriority(rule: regexRule)),
        ]
        let ordered = RouteOrder.sorted(routes)
        XCTAssertEqual(ordered.map(\.name), ["regex", "host"])
        // Both match foobar.traefik.com; the first in order is the one Traefik would pick.
        let request = ruleRequest(host: "foobar.traefik.com")
        let rules = ["regex": regexRule, "host": hostRule]
        let winner = try ordered.first { try RuleParser.parse(rules[$0.name] ?? "").matches(request) }
        XCTAssertEqual(winner?.name, "regex")
    }

    func testTiesOrderByName() {
        let routes = [Route(name: "b", priority: 5), Route(name: "a", priority: 5), Route(name: "z", priority: 9),
                      Route(name: "m", priority: -1), Route(name: "a", priority: 5)]
        XCTAssertEqual(RouteOrder.sorted(routes).map(\.name), ["z", "a", "a", "b", "m"])
    }
}
