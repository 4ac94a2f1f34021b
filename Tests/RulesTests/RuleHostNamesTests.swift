// The exact host names a rule routes, which auto-DNS publishes: read from the parsed tree, so negation,
// precedence and syntax are the parser's.
import Rules
import XCTest

final class RuleHostNamesTests: XCTestCase {
    private func names(_ rule: String, _ syntax: RuleSyntax = .v3) throws -> [String] {
        try RuleParser.parse(rule, syntax: syntax).exactHostNames
    }

    func testExactHostsInRuleOrder() throws {
        XCTAssertEqual(try names("Host(`A.inethilocal.net.`)"), ["a.inethilocal.net"])
        XCTAssertEqual(try names("Host(`a.lan`) || (Host(`b.lan`) && PathPrefix(`/x`))"), ["a.lan", "b.lan"])
        XCTAssertEqual(try names("Host(`a.lan`) || Host(\"a.lan\")"), ["a.lan"])
        XCTAssertEqual(try names("Host(`a.lan`, \"b.lan\")", .v2), ["a.lan", "b.lan"])
        XCTAssertEqual(try names("HostHeader(`v2.lan`)", .v2), ["v2.lan"])
        XCTAssertEqual(try names("HostRegexp(`.+\\.lan`) || Host(`*.lan`) || Host(`*`) || PathPrefix(`/`)"), [])
    }

    func testNegatedHostNamesAreNotPublished() throws {
        XCTAssertEqual(try names("Host(`yes.lan`) && !Host(`no.lan`)"), ["yes.lan"])
        // The negation covers everything in its parentheses, not only a Host right after the "!".
        XCTAssertEqual(try names("!(Host(`no.lan`) || Host(`nor.lan`)) && Host(`yes.lan`)"), ["yes.lan"])
        XCTAssertEqual(try names("!(PathPrefix(`/a`) && Host(`no.lan`))"), [])
        // Two negations route the name again.
        XCTAssertEqual(try names("!!Host(`twice.lan`)"), ["twice.lan"])
        XCTAssertEqual(try names("!Host(`no.lan`, `nor.lan`) || Host(`yes.lan`)", .v2), ["yes.lan"])
    }
}
