// The answer of an entry point that has no routes yet (the embedded default's `web` on 127.0.0.1:8080):
// a small HTTP/1.1 server with keep-alive and pipelining that shows what the appliance is doing.
// `/` is an HTML page, `/status.json` the same facts as JSON, `/stoep-ca.pem` and `/stoep-ca.crt` the
// community CA's root when there is one (CommunityCARoot); anything else is Traefik's `404 page not found`. Requests with a body are answered and the connection closed.
import Glibc
import Reactor

public final class StatusPage: AcceptHandler {
    public final class Counters {
        public var connections: UInt64 = 0
        public var requests: UInt64 = 0
        public var badRequests: UInt64 = 0
        public var open: Int64 = 0
    }

    public let name: String
    public let counters = Counters()
    let loop: EventLoop
    /// Renders the page bodies: (html, json).
    let render: () -> (html: String, json: String)
    /// The community CA's root for download; nil when no localCA resolver has created one.
    let communityCARoot: () -> CommunityCARoot?
    let idleTimeout: UInt64
    private let address: SocketAddress
    private var listener: Listener?
    var sessions: [ObjectIdentifier: StatusSession] = [:]

    public init(name: String, address: SocketAddress, loop: EventLoop, idleTimeout: UInt64 = 180_000_000_000,
                communityCARoot: @escaping () -> CommunityCARoot? = { nil },
                render: @escaping () -> (html: String, json: String)) {
        self.communityCARoot = communityCARoot
        self.name = name
        self.address = address
        self.loop = loop
        self.idleTimeout = idleTimeout
        self.render = render
    }

    public var listenAddress: String { address.description }

    public func start() throws {
        listener = try Listener.tcp(address, loop: loop, handler: self)
    }

    public func stopAccepting() {
        listener?.close()
        listener = nil
    }

    public var openSessions: Int { sessions.count }

    public func closeIdle() {
        for s in Array(sessions.values) where s.isIdle { s.close() }
    }

    public func accepted(fd: FileDescriptor) {
        counters.connections &+= 1
        let s = StatusSession(fd: fd, page: self)
        do {
            try s.start()
            sessions[ObjectIdentifier(s)] = s
            counters.open += 1
        } catch {
            fd.close()
        }
    }

    func ended(_ s: StatusSession) {
        if sessions.removeValue(forKey: ObjectIdentifier(s)) != nil { counters.open -= 1 }
    }

    /// Builds the response for one request head; `keepAlive` false closes after sending.
    func respond(method: Substring, path: Substring) -> [UInt8] {
        counters.requests &+= 1
        if let root = communityCARoot(), let download = root.response(for: path) {
            return download.bytes(headOnly: method == "HEAD")
        }
        let status: String, type: String, body: String
        switch path {
        case "/", "/index.html":
            (status, type, body) = ("200 OK", "text/html; charset=utf-8", render().html)
        case "/status.json":
            (status, type, body) = ("200 OK", "application/json", render().json)
        default:
            (status, type, body) = ("404 Not Found", "text/plain; charset=utf-8", "404 page not found\n")
        }
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        var out = Array(head.utf8)
        if method != "HEAD" { out.append(contentsOf: body.utf8) }
        return out
    }
}
