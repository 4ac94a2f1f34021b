@testable import Rules
import XCTest

final class RuleTCPTests: XCTestCase {
    private func check(_ rule: String, syntax: RuleSyntax = .v3, sni: String = "", alpn: [String] = [],
                       ip: String? = nil, _ expected: Bool, line: UInt = #line) {
        do {
            let expression = try RuleParser.parseTCP(rule, syntax: syntax)
            let connection = TCPRuleRequest(serverName: sni, alpnProtocols: alpn, clientIP: ip.flatMap(ClientIP.init))
            XCTAssertEqual(expression.matches(connection), expected, "\(rule) sni=\(sni)", line: line)
        } catch {
            XCTFail("\(rule): \(error)", line: line)
        }
    }

    func testHostSNI() {
        check("HostSNI(`*`)", sni: "", true)
        check("HostSNI(`*`)", sni: "a.b", true)
        check("HostSNI(`db.lan`)", sni: "db.lan", true)
        check("HostSNI(`db.lan`)", sni: "DB.LAN", true)
        check("HostSNI(`db.lan.`)", sni: "db.lan", true)
        check("HostSNI(`db.lan`)", sni: "", false)
        check("HostSNI(`db.lan`)", sni: "web.lan", false)
        check("HostSNI(`*.lan`)", sni: "db.lan", true)
        check("HostSNI(`*.lan`)", sni: "a.db.lan", false)
        check("HostSNIRegexp(`^[a-z]+\\.lan$`)", sni: "db.lan", true)
        check("HostSNIRegexp(`^[a-z]+\\.lan$`)", sni: "db1.lan", false)
        check("HostSNI(`a.lan`) || HostSNI(`b.lan`)", sni: "b.lan", true)
    }

    func testALPNAndClientIP() {
        check("ALPN(`h2`)", alpn: ["h2", "http/1.1"], true)
        check("ALPN(`h2`)", alpn: ["http/1.1"], false)
        check("ClientIP(`10.0.0.0/8`)", ip: "10.9.8.7", true)
        check("ClientIP(`10.0.0.0/8`)", ip: nil, false)
        check("HostSNI(`*`) && ClientIP(`10.0.0.0/8`)", ip: "11.0.0.1", false)
    }

    func testV2() {
        check("HostSNI(`a.lan`, `b.lan`)", syntax: .v2, sni: "b.lan", true)
        check("HostSNI(`a.lan`, `b.lan`)", syntax: .v2, sni: "c.lan", false)
        check("HostSNI(`*`)", syntax: .v2, sni: "", true)
        check("HostSNIRegexp(`{sub:[a-z]+}.lan`)", syntax: .v2, sni: "db.lan", true)
        check("HostSNIRegexp(`{sub:[a-z]+}.lan`)", syntax: .v2, sni: "db.lan.x", false)
        check("ALPN(`h2`, `http/1.1`)", syntax: .v2, alpn: ["http/1.1"], true)
    }

    func testErrors() {
        let cases: [(String, RuleSyntax, Int, String)] = [
            ("HostSNI(`a`, `b`)", .v3, 1, "expected 1"),
            ("HostSNI(`a b`)", .v3, 10, "is not a valid hostname"),
            ("HostSNI(`a.*.lan`)", .v3, 10, "is not a valid hostname"),
            ("HostSNI(`*.lan`)", .v2, 10, "is not a valid hostname"),
            ("ALPN(`acme-tls/1`)", .v3, 7, "is not allowed"),
            ("Host(`a`)", .v3, 1, "unsupported function: Host"),
            ("HostSNIRegexp(`(`)", .v3, 17, "compiling HostSNIRegexp matcher"),
            ("ClientIP(`x`)", .v3, 11, "invalid CIDR address"),
        ]
        for (rule, syntax, column, fragment) in cases {
            do {
                _ = try RuleParser.parseTCP(rule, syntax: syntax)
                XCTFail("\(rule) parsed")
            } catch {
                XCTAssertTrue(error.message.contains(fragment), "\(rule): \(error.message)")
                XCTAssertEqual(error.column, column, "\(rule): \(error)")
            }
        }
    }
}
