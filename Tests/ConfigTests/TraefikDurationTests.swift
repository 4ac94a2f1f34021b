import XCTest
@testable import Config

final class TraefikDurationTests: XCTestCase {
    func testParse() {
        let cases: [(String, Int64?, UInt)] = [
            ("30", 30_000_000_000, #line),            // bare integer = seconds (Traefik ptypes.Duration)
            ("0", 0, #line),
            ("30s", 30_000_000_000, #line),
            ("1m30s", 90_000_000_000, #line),
            ("100ms", 100_000_000, #line),
            ("1.5h", 5_400_000_000_000, #line),
            ("2h45m", 9_900_000_000_000, #line),
            ("1.5s", 1_500_000_000, #line),
            (".5s", 500_000_000, #line),
            ("10us", 10_000, #line),
            ("10µs", 10_000, #line),
            ("7ns", 7, #line),
            ("+5s", 5_000_000_000, #line),
            ("", nil, #line),
            ("s", nil, #line),
            ("5", 5_000_000_000, #line),
            ("1.5", nil, #line),                        // Go requires a unit unless the text is an integer
            ("-1s", nil, #line),                        // negative timeouts are meaningless
            ("5 s", nil, #line),
            ("5d", nil, #line),
            ("1s2", nil, #line),
            ("99999999999999999999h", nil, #line),
            ("3000000h", nil, #line),                   // past Int64 nanoseconds
            ("9999999999", nil, #line),                 // seconds past Int64 nanoseconds
            ("99999999999999999999999", nil, #line),
            ("9223372036", 9_223_372_036_000_000_000, #line),
        ]
        for (text, nanoseconds, line) in cases {
            XCTAssertEqual(TraefikDuration.parse(text)?.nanoseconds, nanoseconds, text, line: line)
        }
    }

    func testDescription() {
        let cases: [(TraefikDuration, String)] = [
            (.zero, "0s"), (.seconds(90), "1m30s"), (.milliseconds(100), "100ms"), (.seconds(3600), "1h"), (TraefikDuration(nanoseconds: 5), "5ns"),
        ]
        for (duration, text) in cases {
            XCTAssertEqual(duration.description, text)
        }
    }

    /// TOML integers are seconds, strings Go durations; in any section.
    func testSectionValues() {
        let (table, _) = TOMLParser.parse("a = 30\nb = \"1m\"\nc = 2.5\nd = -3\ne = true\n", file: "t.toml")
        var log = TraefikIssueLog()
        let section = TraefikSection(table, path: "x", log: &log)
        XCTAssertEqual(section.duration("a", &log), .seconds(30))
        XCTAssertEqual(section.duration("B", &log), .seconds(60))
        XCTAssertEqual(section.duration("c", &log), .milliseconds(2500))
        XCTAssertNil(section.duration("d", &log))
        XCTAssertNil(section.duration("e", &log))
        XCTAssertEqual(log.issues.map(\.path), ["x.d", "x.e"])
    }
}
