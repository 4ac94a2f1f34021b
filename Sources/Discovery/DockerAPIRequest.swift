// One GET on the Docker Engine API's unix socket, on the loop: connect, send, read the response as it
// arrives (the HTTP module's HTTPResponseReader) and hand over the body piece by piece. One request per
// connection (`Connection: close`): simple, and the daemon going away shows as the connection ending.
// Only GET is ever sent, so stoep works behind a read-only Docker socket proxy.
import HTTP
import Reactor

final class DockerAPIRequest: IOHandler {
    /// The request ended: the status (the body was complete), or why it failed. Not called after cancel().
    typealias Completion = (DockerAPIRequest, Result<Int, DockerResponseError>) -> Void

    let path: String
    private let socketPath: String
    private let loop: EventLoop
    private let timeout: UInt64?
    private let onBody: ([UInt8]) -> Void
    private let onHead: (Int) -> Void
    private let completion: Completion
    private var connection: StreamConnection<PlainTransport>?
    private var reader = HTTPResponseReader()
    private var headSeen = false
    private var finished = false

    /// `timeout` nil = none (the event stream lives as long as the daemon).
    init(path: String, socketPath: String, loop: EventLoop, timeout: UInt64?, onHead: @escaping (Int) -> Void = { _ in },
         onBody: @escaping ([UInt8]) -> Void, completion: @escaping Completion) {
        self.path = path
        self.socketPath = socketPath
        self.loop = loop
        self.timeout = timeout
        self.onHead = onHead
        self.onBody = onBody
        self.completion = completion
    }

    func start() {
        let c: StreamConnection<PlainTransport>
        do {
            c = StreamConnection(transport: PlainTransport(fd: try Socket.connectUnix(path: socketPath)), loop: loop)
            connection = c
            try c.register(self)
        } catch {
            return finish(.failure(DockerResponseError("\(error)")))
        }
        if let timeout {
            c.deadline(after: timeout) { [unowned self] in
                self.finish(.failure(DockerResponseError("no complete answer to GET \(self.path) within \(timeout / 1_000_000_000) s")))
            }
        }
        c.enqueue(Array("GET \(path) HTTP/1.1\r\nHost: docker\r\nUser-Agent: stoep\r\nAccept: application/json\r\nConnection: close\r\n\r\n".utf8))
        send()
    }

    /// Ends the request without calling back (the owner moved on).
    func cancel() {
        guard !finished else { return }
        finished = true
        release()
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        guard !finished, let connection else { return }
        connection.note(events)
        if connection.pendingOutput > 0 {
            send()
            if connection.pendingOutput > 0 || finished { return }
        }
        let transport = connection.transport
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while !finished {
            switch buffer.withUnsafeMutableBytes({ transport.read(into: $0) }) {
            case .bytes(let n):
                deliver(buffer[0..<n])
            case .eof:
                do throws(HTTPResponseReadError) {
                    try reader.finish()
                    finish(.success(reader.status ?? 0))
                } catch {
                    finish(.failure(DockerResponseError("\(error)")))
                }
            case .wouldBlock:
                return
            case .error(let e):
                finish(.failure(DockerResponseError("recv from \(socketPath): \(e)")))
                return
            }
        }
    }

    private func deliver(_ bytes: ArraySlice<UInt8>) {
        do throws(HTTPResponseReadError) {
            let body = try reader.feed(bytes)
            if !headSeen, let status = reader.status {
                headSeen = true
                onHead(status)
                if finished { return }
            }
            if !body.isEmpty { onBody(body) }
            if reader.isComplete && !finished { finish(.success(reader.status ?? 0)) }
        } catch {
            finish(.failure(DockerResponseError("\(error)")))
        }
    }

    private func send() {
        switch connection?.flush() {
        case .failed(let e?) where e != .notConnected:  // ENOTCONN: the connect is still under way
            finish(.failure(DockerResponseError("send to \(socketPath): \(e)")))
        default:
            break
        }
    }

    private func finish(_ result: Result<Int, DockerResponseError>) {
        guard !finished else { return }
        finished = true
        release()
        completion(self, result)
    }

    private func release() {
        connection?.close()
        connection = nil
    }
}
