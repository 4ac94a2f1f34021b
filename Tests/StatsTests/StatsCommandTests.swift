import JSON
@testable import Stats
import XCTest

final class StatsCommandTests: XCTestCase {
    func testParse() {
        let cases: [(line: String, expected: StatsCommand)] = [
            ("help", .help),
            ("help\n", .help),
            ("show info\n", .showInfo),
            ("show info\r\n", .showInfo),
            ("  show \t stats  \r\n", .showStats),
            ("show conns", .showConns),
            ("show config-errors\n", .showConfigErrors),
            ("show dns-clients", .showDNSClients),
            ("show metrics", .showMetrics),
            ("show swarm\n", .showSwarm),
            ("show stats\nshow info\n", .showStats),  // only the first line counts
            ("", .unknown("")),
            ("\r\n", .unknown("")),
            ("SHOW INFO", .unknown("SHOW INFO")),
            ("Help", .unknown("Help")),
            ("show", .unknown("show")),
            ("show info extra", .unknown("show info extra")),
            ("show  nothing \r\n", .unknown("show nothing")),
        ]
        for (line, expected) in cases {
            XCTAssertEqual(StatsCommand.parse(line), expected, line.debugDescription)
        }
    }

    func testParseRawBytesNeverCrashes() {
        XCTAssertEqual(StatsCommand.parse(bytes: [0xFF, 0xFE, 0x0A]), .unknown("\u{FFFD}\u{FFFD}"))
        XCTAssertEqual(StatsCommand.parse(bytes: Array("help\r\n".utf8)[...]), .help)
        XCTAssertEqual(StatsCommand.parse(bytes: [UInt8]()), .unknown(""))
    }

    func testLineRoundTripsAndHelpJSON() throws {
        for command in StatsCommand.all {
            XCTAssertEqual(StatsCommand.parse(command.line + "\n"), command)
        }
        let help = try JSONParser.parse(StatsCommand.helpJSON)
        let listed = help["commands"]?.arrayValue?.compactMap { $0["command"]?.stringValue }
        XCTAssertEqual(listed, ["help", "show info", "show stats", "show conns", "show config-errors", "show dns-clients", "show metrics", "show swarm"])
        XCTAssertFalse(help["commands"]?[1]?["description"]?.stringValue?.isEmpty ?? true)
    }

    func testUnknownCommandError() throws {
        var writer = JSONWriter()
        StatsCommand.writeUnknownCommandError("show \"x\"", into: &writer)
        let json = try JSONParser.parse(writer.bytes)
        XCTAssertEqual(json["error"]?.stringValue, "unknown command 'show \"x\"'; try 'help'")
    }

    func testSocketPathResolution() {
        let cases: [(flag: String?, environment: [String: String], expected: String)] = [
            ("/tmp/x.sock", ["RUNTIME_DIRECTORY": "/run/stoep", "XDG_RUNTIME_DIR": "/run/user/1000"], "/tmp/x.sock"),
            (nil, ["RUNTIME_DIRECTORY": "/run/stoep", "XDG_RUNTIME_DIR": "/run/user/1000"], "/run/stoep/stoep.sock"),
            (nil, ["RUNTIME_DIRECTORY": "/run/stoep/"], "/run/stoep/stoep.sock"),
            (nil, ["RUNTIME_DIRECTORY": "/run/a:/run/b"], "/run/a/stoep.sock"),
            (nil, ["RUNTIME_DIRECTORY": ":/run/b"], "/run/b/stoep.sock"),
            (nil, ["RUNTIME_DIRECTORY": "", "XDG_RUNTIME_DIR": "/run/user/1000"], "/run/user/1000/stoep.sock"),
            (nil, ["XDG_RUNTIME_DIR": "/run/user/1000"], "/run/user/1000/stoep.sock"),
            (nil, ["XDG_RUNTIME_DIR": ""], "./stoep.sock"),
            (nil, [:], "./stoep.sock"),
            ("", [:], "./stoep.sock"),
            ("relative.sock", [:], "relative.sock"),
        ]
        for (flag, environment, expected) in cases {
            XCTAssertEqual(StatsSocketPath.resolve(flag: flag, environment: environment), expected,
                           "flag \(flag ?? "nil") env \(environment)")
        }
    }

    func testProcessEnvironmentReadsEnviron() {
        setenv("STOEP_STATS_TEST_VAR", "a=b:c", 1)
        defer { unsetenv("STOEP_STATS_TEST_VAR") }
        let environment = ProcessEnvironment.current()
        XCTAssertEqual(environment["STOEP_STATS_TEST_VAR"], "a=b:c")
        XCTAssertEqual(environment["PATH"], ProcessInfo.processInfo.environment["PATH"])
    }
}
