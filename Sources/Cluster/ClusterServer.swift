// The cluster channel's server side (docs/cluster.md, "The cluster channel"): a TCP listener on the
// overlay address of `[cluster] address`, mutual TLS against the cluster CA (a client without a
// certificate the CA signed fails the handshake, before a byte of HTTP), and one HTTP/1.1 request per
// connection: `GET /cluster/v1/<name>[?query]`, answered by the handler registered under <name>.
// Handlers are registered by name by whoever owns the data (`stats` by the appliance, `certificates` by
// the certificate sharing), so this file knows none of them.
import HTTP
import JSON
import Reactor

/// What a handler is asked: the name after /cluster/v1/, the query string (without '?', may be empty),
/// and the asking peer's address (for logs).
public struct ClusterRequest: Sendable {
    public let name: String
    public let query: String
    public let peer: String
}

/// A handler's answer. JSON by default; the body is sent whole with a Content-Length.
public struct ClusterReply: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int = 200, contentType: String = "application/json", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public static func json(_ body: [UInt8]) -> ClusterReply { ClusterReply(body: body) }

    /// `{"error": message}` with `status`.
    public static func error(_ status: Int, _ message: String) -> ClusterReply {
        var w = JSONWriter()
        w.beginObject()
        w.field("error", message)
        w.endObject()
        return ClusterReply(status: status, body: w.bytes)
    }

    var bytes: [UInt8] {
        var head = HTTPHeaderWriter()
        head.statusLine(status)
        head.field("Content-Type", contentType)
        head.field("Content-Length", UInt64(body.count))
        head.field("Connection", "close")
        return head.finished() + body
    }
}

/// Answers one request on the loop. It must not block: the answer is built from what the process holds.
public typealias ClusterHandler = (ClusterRequest) -> ClusterReply

public final class ClusterServer: AcceptHandler {
    public static let pathPrefix = "/cluster/v1/"
    /// A handshake and a request must be done within this time (a peer that stalls is closed).
    static let deadline: UInt64 = 10_000_000_000
    let loop: EventLoop
    let tls: TLSServerContext
    private var listener: Listener?
    private var handlers: [String: ClusterHandler] = [:]
    var sessions: [ObjectIdentifier: ClusterSession] = [:]
    /// Handshakes refused (no or a foreign client certificate) and requests answered, for `show info`.
    public internal(set) var refusedHandshakes: UInt64 = 0
    public internal(set) var requests: UInt64 = 0

    init(loop: EventLoop, tls: TLSServerContext) {
        self.loop = loop
        self.tls = tls
    }

    /// Registers `handler` for `GET /cluster/v1/<name>`; a second registration under a name replaces the first.
    public func register(_ name: String, _ handler: @escaping ClusterHandler) { handlers[name] = handler }

    public var handlerNames: [String] { handlers.keys.sorted() }

    /// Binds `address`. Throws when the port cannot be bound.
    func start(address: SocketAddress) throws(SystemError) {
        listener = try Listener.tcp(address, backlog: 64, loop: loop, handler: self)
    }

    public var localAddress: SocketAddress? { listener?.localAddress }

    func stop() {
        listener?.close()
        listener = nil
        for s in Array(sessions.values) { s.close() }
    }

    public func accepted(fd: FileDescriptor) {
        guard let transport = tls.transport(fd: fd) else { return fd.close() }
        let s = ClusterSession(transport: transport, server: self, peer: Socket.peerAddress(fd))
        do {
            try s.start()
            sessions[ObjectIdentifier(s)] = s
        } catch {
            transport.close()
        }
    }

    func ended(_ s: ClusterSession) { sessions[ObjectIdentifier(s)] = nil }

    /// The reply to one parsed request head.
    func respond(method: HTTPMethod, target: String, peer: String) -> ClusterReply {
        requests &+= 1
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? ""
        guard path.hasPrefix(Self.pathPrefix) else { return .error(404, "not found: the channel serves \(Self.pathPrefix)<name>") }
        let name = String(path.dropFirst(Self.pathPrefix.count))
        guard let handler = handlers[name] else {
            return .error(404, "no handler named \"\(name)\" (this node serves: \(handlerNames.joined(separator: ", ")))")
        }
        guard method == .get else { return .error(405, "only GET") }
        return handler(ClusterRequest(name: name, query: parts.count > 1 ? String(parts[1]) : "", peer: peer))
    }
}
