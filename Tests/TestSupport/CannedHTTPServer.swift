// An HTTP server for client tests on real sockets: it answers each connection's request with a canned
// response and keeps what it was sent, and `runLoop` drives a loop until a condition holds or a deadline
// passes. Shared by HTTPClientExchangeTests, EnginePollerTests and ClusterChannelTests.
import Reactor

/// Answers each connection's request (its head complete) with the next canned response, then shuts its
/// side down. Register it with a `Listener`; `close` ends every connection it accepted.
public final class CannedHTTPServer: AcceptHandler, IOHandler {
    public let loop: EventLoop
    private var responses: [[UInt8]]
    private let repeating: Bool
    /// Every byte received, over all connections.
    public private(set) var received: [UInt8] = []
    /// Each request as received, once its head was complete.
    public private(set) var requests: [String] = []
    private var connections: [FileDescriptor] = []
    private var tokens: [Token] = []

    /// Every connection gets `response`; nil: never answers.
    public init(loop: EventLoop, response: String?) {
        self.loop = loop
        self.responses = response.map { [Array($0.utf8)] } ?? []
        self.repeating = true
    }

    /// The n-th connection gets the n-th of `responses`; past the last, none is answered.
    public init(loop: EventLoop, responses: [String]) {
        self.loop = loop
        self.responses = responses.map { Array($0.utf8) }
        self.repeating = false
    }

    public func accepted(fd: FileDescriptor) {
        connections.append(fd)
        if let t = try? loop.register(fd: fd, handler: self) { tokens.append(t) }
    }

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var mine: [UInt8] = []
        while case .bytes(let n) = buffer.withUnsafeMutableBytes({ fd.receive(into: $0) }) { mine += buffer[0..<n] }
        received += mine
        // The clients under test write a request in one send, so its head's end arrives with it.
        let request = String(decoding: mine, as: UTF8.self)
        guard request.contains("\r\n\r\n") else { return }
        requests.append(request)
        guard let response = responses.first else { return }
        if !repeating { responses.removeFirst() }
        _ = fd.sendAll(response)
        fd.shutdownWrite()
    }

    public func close() {
        for t in tokens { loop.deregister(t) }
        for c in connections { c.close() }
    }
}

/// Runs `loop` until `done` holds after a turn or `seconds` passed (the caller asserts on what it awaited).
public func runLoop(_ loop: EventLoop, seconds: Double, until done: @escaping () -> Bool) throws {
    let deadline = Timer { _ in loop.stop() }
    loop.schedule(deadline, after: UInt64(seconds * 1e9))
    var active = true
    loop.addTurnHook { if active && done() { loop.stop() } }
    try loop.run()
    active = false
    loop.cancel(deadline)
}
