// One client connection of the StatusPage: reads request heads, answers each in order (pipelining),
// keeps the connection until the client closes, says `Connection: close`, or stays idle too long.
import Glibc
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

    init(fd: Int32, page: StatusPage) {
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

    func ready(fd: Int32, _ events: Readiness) {
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

    /// Answers every complete request head in `input`.
    private func parseRequests() {
        while !closeAfterWrite, let end = headEnd() {
            let head = String(decoding: input[0..<end], as: UTF8.self)
            input.removeFirst(end + 4)
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            let parts = lines.first?.split(separator: " ") ?? []
            guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
                page.counters.badRequests &+= 1
                output += Array("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 16\r\n\r\n400 Bad Request\n".utf8)
                closeAfterWrite = true
                return
            }
            var keepAlive = parts[2] == "HTTP/1.1"
            var hasBody = false
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingSpaces.lowercased()
                if name == "connection" { keepAlive = value.contains("keep-alive") || (keepAlive && !value.contains("close")) }
                if (name == "content-length" && value != "0") || name == "transfer-encoding" { hasBody = true }
            }
            output += page.respond(method: parts[0], path: parts[1].split(separator: "?").first ?? "/")
            if !keepAlive || hasBody { closeAfterWrite = true }
        }
        if headEnd() == nil && input.count > StatusSession.maxHead {
            output += Array("HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".utf8)
            closeAfterWrite = true
        }
    }

    private func headEnd() -> Int? {
        guard input.count >= 4 else { return nil }
        for i in 0...(input.count - 4) where input[i] == 13 && input[i + 1] == 10 && input[i + 2] == 13 && input[i + 3] == 10 {
            return i
        }
        return nil
    }

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

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
