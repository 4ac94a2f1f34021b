// One peer's connection to the cluster channel: the TLS handshake (mutual: the server context requires
// a client certificate the cluster CA signed), then one request head read with the proxy's own parser,
// one answer, close. A body is never read (the API is GET only). Bounded by one deadline for all of it.
import HTTP
import Reactor

final class ClusterSession: IOHandler {
    private let connection: StreamConnection<TLSTransport>
    private unowned let server: ClusterServer
    private let peer: String
    private var input: [UInt8] = []
    private var handshaken = false
    private var answered = false
    private static let limits = HTTPParseLimits(maxHeadBytes: 8 * 1024)

    init(transport: TLSTransport, server: ClusterServer, peer: String) {
        connection = StreamConnection(transport: transport, loop: server.loop, writable: false)
        self.server = server
        self.peer = peer
    }

    func start() throws(SystemError) {
        try connection.register(self)
        connection.deadline(after: ClusterServer.deadline) { [unowned self] in self.close() }
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        connection.note(events)
        if !handshaken {
            switch connection.transport.handshake() {
            case .wantRead, .wantWrite: return
            case .failed(let reason):
                server.refusedHandshakes &+= 1
                server.loop.log.debug("cluster: handshake with \(peer) failed: \(reason)")
                return close()
            case .done:
                handshaken = true
                server.tls.stats.completed(connection.transport)
                connection.writable = true
                connection.readable = true  // OpenSSL may hold the request already
            }
        }
        if !answered { readRequest() }
        if answered { flush() }
    }

    private func readRequest() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while connection.readable && !answered {
            switch chunk.withUnsafeMutableBytes({ connection.transport.read(into: $0) }) {
            case .bytes(let n):
                input.append(contentsOf: chunk[0..<n])
                parse()
            case .wouldBlock: connection.readable = false
            case .eof, .error: return close()
            }
        }
    }

    private func parse() {
        switch HTTPRequestHead.parse(input, limits: Self.limits) {
        case .incomplete: return
        case .error(let e): answer(HTTPErrorResponse.forParseError(e))
        case .complete(let head, _):
            let target = String(decoding: input[head.target], as: UTF8.self)
            answer(server.respond(method: head.knownMethod, target: target, peer: peer).bytes)
        }
    }

    private func answer(_ bytes: [UInt8]) {
        answered = true
        connection.enqueue(bytes)
    }

    private func flush() {
        switch connection.flush() {
        case .blocked: return
        case .drained:
            connection.transport.shutdownWrite()
            close()
        case .failed: close()
        }
    }

    func close() {
        guard connection.close() else { return }
        server.ended(self)
    }
}
