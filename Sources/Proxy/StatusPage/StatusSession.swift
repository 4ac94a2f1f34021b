// One client connection of the StatusPage: reads request heads, answers each in order (pipelining),
// keeps the connection until the client closes, says `Connection: close`, or stays idle too long.
import Glibc
import HTTP
import Reactor

final class StatusSession: IOHandler {
    private let connection: StreamConnection<PlainTransport>
    private unowned let page: StatusPage
    private var input: [UInt8] = []
    private var closeAfterWrite = false
    /// Request heads past this size are refused with 431, as Traefik's default 1 MiB is far more than
    /// a status page needs.
    private static let maxHead = 16 * 1024

    init(fd: FileDescriptor, page: StatusPage) {
        connection = StreamConnection(transport: PlainTransport(fd: fd), loop: page.loop)
        self.page = page
    }

    var isIdle: Bool { input.isEmpty && connection.pendingOutput == 0 }

    func start() throws {
        try connection.register(self)
        connection.idleTimeout(page.idleTimeout) { [unowned self] in self.close() }
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        connection.note(events)
        flush()
        if connection.isClosed { return }
        var chunk = (0, 0, 0, 0, 0, 0, 0, 0) as (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        while connection.readable && !closeAfterWrite && connection.pendingOutput < 256 * 1024 {
            let r = withUnsafeMutableBytes(of: &chunk) { connection.transport.read(into: $0) }
            switch r {
            case .bytes(let n):
                withUnsafeBytes(of: &chunk) { input.append(contentsOf: $0[0..<n]) }
                parseRequests()
            case .wouldBlock: connection.readable = false
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
                connection.enqueue(HTTPErrorResponse.forParseError(e))
                closeAfterWrite = true
                return
            case .complete(let head, let length):
                func text(_ r: Range<Int>) -> Substring { Substring(String(decoding: input[r], as: UTF8.self)) }
                let method = text(head.method)
                let target = text(head.target)
                input.removeFirst(length)
                connection.enqueue(page.respond(method: method, path: target.split(separator: "?").first ?? "/"))
                // A body is not read here: answer, then close rather than parse it as the next request.
                if !head.keepAlive || head.framing != .none { closeAfterWrite = true }
            }
        }
    }

    private static let limits = HTTPParseLimits(maxHeadBytes: maxHead)

    private func flush() {
        switch connection.flush() {
        case .failed: close()
        case .drained: if closeAfterWrite { close() }
        case .blocked: break
        }
    }

    func close() {
        guard connection.close() else { return }
        page.ended(self)
    }
}
