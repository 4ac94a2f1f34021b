// EnginePoller on a real unix socket, once per backend: the GET as sent, each answer's kind (a status, a
// body that is not JSON, the JSON document), the back-off after failed rounds (0.2 s, then 0.4 s), no
// round after `roundDone(again: false)`, and `stop` ending a request in flight without its completion.
import Discovery
import HTTPClient
import JSON
import Reactor
import XCTest

final class EnginePollerTests: XCTestCase {
    private static let backends: [BackendKind] = [.epoll, .ioUring]

    /// Answers the n-th connection with the n-th response (none left: never answers) and keeps the requests.
    private final class Engine: AcceptHandler, IOHandler {
        let loop: EventLoop
        var responses: [String]
        var requests: [String] = []
        var connections: [FileDescriptor] = []
        var tokens: [Token] = []
        init(loop: EventLoop, responses: [String]) {
            self.loop = loop
            self.responses = responses
        }
        func accepted(fd: FileDescriptor) {
            connections.append(fd)
            if let t = try? loop.register(fd: fd, handler: self) { tokens.append(t) }
        }
        func ready(fd: FileDescriptor, _ events: Readiness) {
            var buffer = [UInt8](repeating: 0, count: 4096)
            var mine: [UInt8] = []
            while case .bytes(let n) = buffer.withUnsafeMutableBytes({ fd.receive(into: $0) }) { mine += buffer[0..<n] }
            // The client writes its request in one send, so its head's end arrives with it.
            let request = String(decoding: mine, as: UTF8.self)
            guard request.contains("\r\n\r\n") else { return }
            requests.append(request)
            guard !responses.isEmpty else { return }
            let body = responses.removeFirst()
            _ = fd.sendAll(Array(body.utf8))
            fd.shutdownWrite()
        }
        func close() {
            for t in tokens { loop.deregister(t) }
            for c in connections { c.close() }
        }
    }

    private func run(_ loop: EventLoop, seconds: Double, until done: @escaping () -> Bool) throws {
        let deadline = Timer { _ in loop.stop() }
        loop.schedule(deadline, after: UInt64(seconds * 1e9))
        var active = true
        loop.addTurnHook { if active && done() { loop.stop() } }
        try loop.run()
        active = false
        loop.cancel(deadline)
    }

    private static func answer(_ status: String, _ body: String) -> String {
        "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    func testRoundsBackOffAndEnd() throws {
        for backend in Self.backends {
            let loop = try EventLoop(backend: backend, log: Logger())
            let path = "/tmp/stoep-enginepoller-\(getpid())-rounds"
            unlink(path)
            defer { unlink(path) }
            let engine = Engine(loop: loop, responses: [Self.answer("500 Internal Server Error", "{}"), Self.answer("200 OK", "{not json"),
                                                        Self.answer("200 OK", "[{\"ID\":\"n1\"}]")])
            let listener = try Listener.unix(path: path, mode: 0o600, loop: loop, handler: engine)
            defer { listener.close(); engine.close() }
            let poller = EnginePoller(endpoint: DockerWatcher.Endpoint(address: .unix(path)), refresh: 5_000_000_000, loop: loop)
            var results: [Result<JSONValue, EnginePoller.Failure>] = []
            var startedAt: [UInt64] = []
            poller.start { [unowned poller] in
                startedAt.append(loop.now)
                poller.get("/nodes?x=1") { [unowned poller] result in
                    results.append(result)
                    if case .success = result { poller.roundDone(again: false) } else { poller.roundFailed() }
                }
            }
            try run(loop, seconds: 5) { results.count == 3 }
            XCTAssertEqual(results.count, 3, "\(backend)")
            guard results.count == 3 else { continue }
            XCTAssertEqual(results[0], .failure(.status(500)), "\(backend)")
            guard case .failure(.notJSON) = results[1] else { return XCTFail("\(backend): \(results[1])") }
            XCTAssertEqual(try results[2].get()[0]?["ID"]?.stringValue, "n1", "\(backend)")
            XCTAssertTrue(engine.requests[0].hasPrefix("GET /nodes?x=1 HTTP/1.1\r\n"), "\(backend): \(engine.requests[0])")
            XCTAssertTrue(engine.requests[0].contains("Host: docker\r\n"), "\(backend)")
            // The back-off doubles from 0.2 s (the timer may fire late on a busy machine, never early).
            XCTAssertGreaterThanOrEqual(startedAt[1] - startedAt[0], 200_000_000, "\(backend)")
            XCTAssertGreaterThanOrEqual(startedAt[2] - startedAt[1], 400_000_000, "\(backend)")
            // Polling ended: no fourth round, even past the refresh interval's first step.
            try run(loop, seconds: 0.3) { false }
            XCTAssertEqual(startedAt.count, 3, "\(backend)")
            poller.stop()
        }
    }

    func testStopEndsARequestInFlight() throws {
        for backend in Self.backends {
            let loop = try EventLoop(backend: backend, log: Logger())
            let path = "/tmp/stoep-enginepoller-\(getpid())-stop"
            unlink(path)
            defer { unlink(path) }
            let engine = Engine(loop: loop, responses: [])
            let listener = try Listener.unix(path: path, mode: 0o600, loop: loop, handler: engine)
            defer { listener.close(); engine.close() }
            let poller = EnginePoller(endpoint: DockerWatcher.Endpoint(address: .unix(path)), refresh: 1_000_000, loop: loop)
            var completions = 0
            var rounds = 0
            poller.start { [unowned poller] in
                rounds += 1
                poller.get("/nodes") { _ in completions += 1 }
            }
            try run(loop, seconds: 2) { engine.requests.count == 1 }
            poller.stop()
            poller.roundFailed()
            try run(loop, seconds: 0.3) { false }
            XCTAssertEqual(engine.requests.count, 1, "\(backend)")
            XCTAssertEqual(completions, 0, "\(backend): a cancelled request's completion never runs")
            XCTAssertEqual(rounds, 1, "\(backend): no round after stop")
        }
    }
}
