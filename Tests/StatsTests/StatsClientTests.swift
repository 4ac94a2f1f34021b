import Foundation
import JSON
@testable import Stats
import XCTest

final class StatsClientTests: XCTestCase {
    static let info = #"{"version":"0.1.0","uptime_s":3725,"backend":"io_uring","pid":4242,"rss_bytes":5452595,"config_source":"/etc/stoep/stoep.yml"}"# + "\n"
    static let stats = #"{"counters":{"dns.queries":[{"labels":{},"value":1500}],"forward.bytes_in":[{"labels":{"forward":"fw1"},"value":2048}]},"gauges":{"proxy.open_conns":[{"labels":{},"value":12}]},"histograms":{"http.latency":[{"labels":{"router":"web"},"count":3,"sum_us":3600,"min_us":200,"max_us":2500,"mean_us":1200,"p50_us":900,"p90_us":2400,"p99_us":2500,"buckets":[]}]}}"# + "\n"

    func testQueryReturnsDocumentAndSendsLine() throws {
        let server = try BlockingTestServer(responses: ["show info": Array(Self.info.utf8)])
        defer { server.stop() }
        let response = try StatsClient.query(socketPath: server.path, command: "show info")
        XCTAssertEqual(response, Array(Self.info.utf8))
        XCTAssertEqual(server.lines, ["show info"])
        XCTAssertEqual(try JSONParser.parse(response)["pid"], .int(4242))
    }

    func testQueryReadsLargeResponseToEOF() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("conns")
        writer.beginArray()
        for id in 0..<20_000 {
            writer.beginObject()
            writer.field("id", id)
            writer.field("peer", "10.0.0.1:\(id)")
            writer.endObject()
        }
        writer.endArray()
        writer.field("count", 20_000)
        writer.endObject()
        let server = try BlockingTestServer(responses: ["show conns": writer.bytes])
        defer { server.stop() }
        let response = try StatsClient.query(socketPath: server.path, command: "show conns")
        XCTAssertEqual(response.count, writer.bytes.count)
        XCTAssertEqual(try JSONParser.parse(response)["count"], .int(20_000))
    }

    func testConnectionErrorsNameThePath() throws {
        let missing = "/tmp/stoep-no-such-dir-\(getpid())/stoep.sock"
        XCTAssertThrowsError(try StatsClient.query(socketPath: missing, command: "help")) { error in
            XCTAssertEqual(error as? StatsClientError, .socketMissing(path: missing))
            XCTAssertTrue("\(error)".contains(missing))
        }
        let long = "/tmp/" + String(repeating: "x", count: 120)
        XCTAssertThrowsError(try StatsClient.query(socketPath: long, command: "help")) { error in
            XCTAssertEqual(error as? StatsClientError, .pathTooLong(path: long))
        }
        let stale = "/tmp/stoep-stale-\(getpid()).sock"
        unlink(stale)
        try BlockingTestServer.staleSocket(path: stale)
        defer { unlink(stale) }
        XCTAssertThrowsError(try StatsClient.query(socketPath: stale, command: "help")) { error in
            XCTAssertEqual(error as? StatsClientError, .connectionRefused(path: stale))
            XCTAssertTrue("\(error)".contains(stale))
        }
    }

    func testReceiveTimeout() throws {
        let server = try BlockingTestServer(responses: [:], replyDelay: 2)
        defer { server.stop() }
        XCTAssertThrowsError(try StatsClient.query(socketPath: server.path, command: "help", timeoutSeconds: 1)) { error in
            XCTAssertEqual(error as? StatsClientError, .timedOut(path: server.path))
        }
    }

    // MARK: CLI

    private struct Run {
        var status: Int32
        var output: String
        var errors: String
        var sleeps: [Double]
    }

    private func runCLI(_ arguments: [String], environment: [String: String] = [:]) -> Run {
        var output = "", errors = "", sleeps: [Double] = []
        let status = StatsCLI.run(arguments: arguments, environment: environment,
                                  output: { output += $0 }, errorOutput: { errors += $0 }, sleep: { sleeps.append($0) })
        return Run(status: status, output: output, errors: errors, sleeps: sleeps)
    }

    func testCLIDefaultShowsStatsTable() throws {
        let server = try BlockingTestServer(responses: ["show stats": Array(Self.stats.utf8), "show info": Array(Self.info.utf8)])
        defer { server.stop() }
        let run = runCLI([], environment: ["RUNTIME_DIRECTORY": server.directory])
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertEqual(server.lines, ["show stats", "show info"])
        XCTAssertTrue(run.output.hasPrefix("stoep 0.1.0  pid 4242  up 1h02m  backend io_uring  rss 5.2 MiB  config /etc/stoep/stoep.yml\n"), run.output)
        XCTAssertTrue(run.output.contains("forward.bytes_in{forward=fw1}   2048\n"), run.output)
        XCTAssertTrue(run.output.contains("proxy.open_conns     12\n"), run.output)
        XCTAssertTrue(run.output.contains("http.latency{router=web}      3  1.2ms  900µs  2.4ms  2.5ms  2.5ms\n"), run.output)
    }

    func testCLIJSONAndOtherCommands() throws {
        let conns = #"{"count":1,"conns":[{"id":7,"kind":"http","local":"127.0.0.1:80","peer":"127.0.0.1:5555","state":"forwarding","bytes_in":100,"bytes_out":2048,"age_s":65}]}"#
        let server = try BlockingTestServer(responses: [
            "show conns": Array(conns.utf8),
            "help": Array(StatsCommand.helpJSON.utf8),
            "show config-errors": Array(#"{"errors":[{"source":"/etc/dnsmasq.conf","line":3,"message":"bad address"}]}"#.utf8),
        ])
        defer { server.stop() }
        let json = runCLI(["--stats-socket", server.path, "--json", "show", "conns"])
        XCTAssertEqual(json.status, 0)
        XCTAssertEqual(json.output, conns + "\n")

        let table = runCLI(["--stats-socket=\(server.path)", "show", "conns"])
        XCTAssertTrue(table.output.contains("7  http  127.0.0.1:80  127.0.0.1:5555  forwarding  100 B  2.0 KiB  1m05s"), table.output)
        XCTAssertTrue(table.output.hasSuffix("1 connection\n"))

        let help = runCLI(["--stats-socket", server.path, "help"])
        XCTAssertTrue(help.output.contains("show config-errors  problems found"), help.output)

        let errors = runCLI(["--stats-socket", server.path, "show", "config-errors"])
        XCTAssertEqual(errors.output, "/etc/dnsmasq.conf:3: bad address\n")
    }

    func testCLIFailures() throws {
        let server = try BlockingTestServer(responses: ["bogus": Array(#"{"error":"unknown command 'bogus'; try 'help'"}"#.utf8),
                                                        "show info": Array("not json".utf8)])
        defer { server.stop() }
        let unknown = runCLI(["--stats-socket", server.path, "bogus"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.errors, "stoep stats: server error: unknown command 'bogus'; try 'help'\n")

        let garbage = runCLI(["--stats-socket", server.path, "show", "info"])
        XCTAssertEqual(garbage.status, 1)
        XCTAssertTrue(garbage.errors.contains("invalid JSON"), garbage.errors)

        let missing = runCLI([], environment: ["XDG_RUNTIME_DIR": "/nonexistent-\(getpid())"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.errors.contains("/nonexistent-\(getpid())/stoep.sock"), missing.errors)
        XCTAssertTrue(missing.output.isEmpty)

        for bad in [["--interval", "0"], ["--interval"], ["--count", "x"], ["--bogus"], ["--stats-socket"]] {
            let run = runCLI(bad)
            XCTAssertEqual(run.status, 2, "\(bad)")
            XCTAssertTrue(run.errors.contains("usage:"), "\(bad)")
        }
        XCTAssertEqual(runCLI(["--help"]).status, 0)
    }

    func testCLIWatchRendersRatesAndStopsAfterCount() throws {
        let server = try BlockingTestServer(responses: ["show stats": Array(Self.stats.utf8), "show info": Array(Self.info.utf8)])
        defer { server.stop() }
        let run = runCLI(["--stats-socket", server.path, "--watch", "--interval", "0.5", "--count", "3"])
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertEqual(run.sleeps, [0.5, 0.5])
        XCTAssertEqual(run.output.components(separatedBy: StatsCLI.clearScreen).count, 4)
        XCTAssertTrue(run.output.contains("every 0.5s"))
        // Same snapshot twice: the second and third frames show a rate of 0.0/s.
        XCTAssertTrue(run.output.contains("dns.queries                     1500  0.0\n"), run.output)

        let jsonWatch = runCLI(["--stats-socket", server.path, "--watch", "--json", "--count", "2", "show", "info"])
        XCTAssertEqual(jsonWatch.output, Self.info + Self.info)
    }
}
