// One client connection of the StatusPage: reads request heads, answers each in order (pipelining),
// keeps the connection until the client closes, says `Connection: close`, or stays idle too long.
import Glibc
import HTTP
import Reactor

final class StatusSession: IOHandler {
    private let transport: PlainTransport
    private unowned let page: StatusPage
    private var token: Token?
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var closeAfterWrite = false
    private var readable = false, writable = true
    private var lastActivity: UInt64
    private var timer: Timer?
    private var closed = false
    /// Request heads past this size are refused with 431, as Traefik's default 1 MiB is far more than
    /// a status page needs.
    private static let maxHead = 16 * 1024

    init(fd: FileDescriptor, page: StatusPage) {
        transport = PlainTransport(fd: fd)
        self.page = page
        lastActivity = page.loop.now
    }

    var isIdle: Bool { input.isEmpty && output.isEmpty }

    func start() throws {
        token = try page.loop.register(fd: transport.fd, handler: self)
        let t = Timer { [unowned self] now in
            if now &- self.lastActivity >= self.page.idleTimeout { self.close() } else if let t = self.timer {
                self.page.loop.schedule(t, at: self.lastActivity &+ self.page.idleTimeout)
            }
        }
        timer = t
        page.loop.schedule(t, after: page.idleTimeout)
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        if events.contains(.readable) { readable = true }
        if events.contains(.writable) { writable = true }
        lastActivity = page.loop.now
        flush()
        if closed { return }
        var chunk = (0, 0, 0, 0, 0, 0, 0, 0) as (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        while readable && !closeAfterWrite && output.count < 256 * 1024 {
            let r = withUnsafeMutableBytes(of: &chunk) { transport.read(into: $0) }
            switch r {
            case .bytes(let n):
                withUnsafeBytes(of: &chunk) { input.append(contentsOf: $0[0..<n]) }
                parseRequests()
            case .wouldBlock: readable = false
            case .eof, .error:
                close()
                return
            }
        }
        flush()
    }

    /// Answers every complete request head in `input`, parsed by the proxy's own HTTP parser (the same
    /// checks: a malformed head is answered 400, an oversized one 431, and the connection closes).
    private func parseRequests() {
        while !closeAfterWrite {
            switch HTTPRequestHead.parse(input, limits: StatusSession.limits) {
            case .incomplete:
                return
            case .error(let e):
                page.counters.badRequests &+= 1
                output += HTTPErrorResponse.forParseError(e)
                closeAfterWrite = true
                return
            case .complete(let head, let length):
                func text(_ r: Range<Int>) -> Substring { Substring(String(decoding: input[r], as: UTF8.self)) }
                let method = text(head.method)
                let target = text(head.target)
                input.removeFirst(length)
                output += page.respond(method: method, path: target.split(separator: "?").first ?? "/")
                // A body is not read here: answer, then close rather than parse it as the next request.
                if !head.keepAlive || head.framing != .none { closeAfterWrite = true }
            }
        }
    }

    private static let limits = HTTPParseLimits(maxHeadBytes: maxHead)

    private func flush() {
        while writable && !output.isEmpty {
            let r = output.withUnsafeBytes { transport.write($0) }
            switch r {
            case .bytes(let n): output.removeFirst(n)
            case .wouldBlock: writable = false
            case .eof, .error:
                close()
                return
            }
        }
        if output.isEmpty && closeAfterWrite { close() }
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let t = timer { page.loop.cancel(t) }
        timer = nil
        if let t = token { page.loop.deregister(t) }
        transport.close()
        page.ended(self)
    }
}
