// One GET on the Docker Engine API's unix socket, on the loop: connect, send, read the response as it
// arrives (the HTTP module's HTTPResponseReader) and hand over the body piece by piece. One request per
// connection (`Connection: close`): simple, and the daemon going away shows as the connection ending.
// Only GET is ever sent, so stoep works behind a read-only Docker socket proxy.
import Glibc
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
    private var fd: Int32 = -1
    private var token: Token?
    private var timer: Timer?
    private var request: [UInt8]
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
        request = Array("GET \(path) HTTP/1.1\r\nHost: docker\r\nUser-Agent: stoep\r\nAccept: application/json\r\nConnection: close\r\n\r\n".utf8)
    }

    func start() {
        do {
            fd = try Socket.connectUnix(path: socketPath)
            token = try loop.register(fd: fd, handler: self)
        } catch {
            return finish(.failure(DockerResponseError("\(error)")))
        }
        if let timeout {
            let t = Timer { [unowned self] _ in self.finish(.failure(DockerResponseError("no complete answer to GET \(self.path) within \(timeout / 1_000_000_000) s"))) }
            timer = t
            loop.schedule(t, after: timeout)
        }
        send()
    }

    /// Ends the request without calling back (the owner moved on).
    func cancel() {
        guard !finished else { return }
        finished = true
        release()
    }

    func ready(fd: Int32, _ events: Readiness) {
        guard !finished else { return }
        if !request.isEmpty {
            send()
            if !request.isEmpty || finished { return }
        }
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while !finished {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                deliver(buffer[0..<n])
            } else if n == 0 {
                do throws(HTTPResponseReadError) {
                    try reader.finish()
                    finish(.success(reader.status ?? 0))
                } catch {
                    finish(.failure(DockerResponseError("\(error)")))
                }
            } else {
                if errno == EINTR { continue }
                if errno != EAGAIN { finish(.failure(DockerResponseError("recv from \(socketPath): \(SystemError.text(errno))"))) }
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
        let n = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n > 0 {
            request.removeFirst(n)
        } else if n < 0 && errno != EAGAIN && errno != EINTR && errno != ENOTCONN {
            finish(.failure(DockerResponseError("send to \(socketPath): \(SystemError.text(errno))")))
        }
    }

    private func finish(_ result: Result<Int, DockerResponseError>) {
        guard !finished else { return }
        finished = true
        release()
        completion(self, result)
    }

    private func release() {
        if let t = timer { loop.cancel(t) }
        timer = nil
        if let t = token { loop.deregister(t) }
        token = nil
        closeDescriptor(fd)
        fd = -1
    }
}
