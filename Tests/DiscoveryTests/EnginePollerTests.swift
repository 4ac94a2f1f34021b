// EnginePoller on a real unix socket, once per backend: the GET as sent, each answer's kind (a status, a
// body that is not JSON, the JSON document), the back-off after failed rounds (0.2 s, then 0.4 s), no
// round after `roundDone(again: false)` (not even past the refresh interval), and `stop` ending a request
// in flight without its completion.
import Discovery
import HTTPClient
import JSON
import Reactor
import TestSupport
import XCTest

final class EnginePollerTests: XCTestCase {
    private static let backends: [BackendKind] = [.epoll, .ioUring]

    private static func answer(_ status: String, _ body: String) -> String {
        "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// A poller of an engine on a unix socket that answers with `responses` in turn, for each backend.
    private func withEngine(_ name: String, responses: [String], refresh: UInt64,
                            _ body: (BackendKind, EventLoop, CannedHTTPServer, EnginePoller) throws -> Void) throws {
        for backend in Self.backends {
            let loop = try EventLoop(backend: backend, log: Logger())
            let path = "/tmp/stoep-enginepoller-\(getpid())-\(name)"
            unlink(path)
            defer { unlink(path) }
            let engine = CannedHTTPServer(loop: loop, responses: responses)
            let listener = try Listener.unix(path: path, mode: 0o600, loop: loop, handler: engine)
            defer { listener.close(); engine.close() }
            let poller = EnginePoller(endpoint: DockerWatcher.Endpoint(address: .unix(path)), refresh: refresh, loop: loop)
            defer { poller.stop() }
            try body(backend, loop, engine, poller)
        }
    }

    func testRoundsBackOffAndEnd() throws {
        let responses = [Self.answer("500 Internal Server Error", "{}"), Self.answer("200 OK", "{not json"),
                         Self.answer("200 OK", "[{\"ID\":\"n1\"}]")]
        try withEngine("rounds", responses: responses, refresh: 500_000_000) { backend, loop, engine, poller in
            var results: [Result<JSONValue, EnginePoller.Failure>] = []
            var startedAt: [UInt64] = []
            poller.start { [unowned poller] in
                startedAt.append(loop.now)
                poller.get("/nodes?x=1") { [unowned poller] result in
                    results.append(result)
                    if case .success = result { poller.roundDone(again: false) } else { poller.roundFailed() }
                }
            }
            try runLoop(loop, seconds: 5) { results.count == 3 }
            XCTAssertEqual(results.count, 3, "\(backend)")
            guard results.count == 3 else { return }
            XCTAssertEqual(results[0], .failure(.status(500)), "\(backend)")
            guard case .failure(.notJSON) = results[1] else { return XCTFail("\(backend): \(results[1])") }
            XCTAssertEqual(try results[2].get()[0]?["ID"]?.stringValue, "n1", "\(backend)")
            XCTAssertTrue(engine.requests[0].hasPrefix("GET /nodes?x=1 HTTP/1.1\r\n"), "\(backend): \(engine.requests[0])")
            XCTAssertTrue(engine.requests[0].contains("Host: docker\r\n"), "\(backend)")
            // The back-off doubles from 0.2 s (the timer may fire late on a busy machine, never early).
            XCTAssertGreaterThanOrEqual(startedAt[1] - startedAt[0], 200_000_000, "\(backend)")
            XCTAssertGreaterThanOrEqual(startedAt[2] - startedAt[1], 400_000_000, "\(backend)")
            // Polling ended: no fourth round, even past the refresh interval.
            try runLoop(loop, seconds: 0.7) { false }
            XCTAssertEqual(startedAt.count, 3, "\(backend)")
        }
    }

    func testStopEndsARequestInFlight() throws {
        try withEngine("stop", responses: [], refresh: 1_000_000) { backend, loop, engine, poller in
            var completions = 0
            var rounds = 0
            poller.start { [unowned poller] in
                rounds += 1
                poller.get("/nodes") { _ in completions += 1 }
            }
            try runLoop(loop, seconds: 2) { engine.requests.count == 1 }
            poller.stop()
            poller.roundFailed()
            try runLoop(loop, seconds: 0.3) { false }
            XCTAssertEqual(engine.requests.count, 1, "\(backend)")
            XCTAssertEqual(completions, 0, "\(backend): a cancelled request's completion never runs")
            XCTAssertEqual(rounds, 1, "\(backend): no round after stop")
        }
    }
}
