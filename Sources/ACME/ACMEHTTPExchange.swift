// One HTTPS request to the ACME server on the loop: connect (non-blocking), TLS handshake verifying the
// server's name, send, read the response with the HTTP module's HTTPResponseReader, close. One request a
// connection (`Connection: close`): an order makes a dozen requests over minutes, so keeping connections
// open buys nothing and a closed one is never stale. Bounded by a deadline and a body limit.
import HTTP
import Reactor

public struct ACMEHTTPResponse: Sendable {
    public let status: Int
    public let fields: [(name: String, value: String)]
    public let body: [UInt8]

    /// The first field of that name (lower-case).
    public func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
    /// Every field of that name (Link appears several times).
    public func fields(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }
}

final class ACMEHTTPExchange: IOHandler {
    typealias Completion = (Result<ACMEHTTPResponse, ACMEError>) -> Void
    /// Certificates with their chain are a few KiB; a directory or order far less.
    static let bodyLimit = 1 << 20

    private let loop: EventLoop
    private let what: String
    private var completion: Completion?
    private var transport: TLSTransport?
    private var token: Token?
    private var timer: Timer?
    private var request: [UInt8]
    private var reader: HTTPResponseReader
    private var body: [UInt8] = []
    private var connected = false
    private var handshaken = false

    /// Starts at once; `completion` is called exactly once, on the loop (never from inside this call).
    @discardableResult
    init(loop: EventLoop, address: SocketAddress, url: ACMEURL, serverName: String, tls: TLSClientContext,
         method: HTTPMethod, contentType: String?, body requestBody: [UInt8], timeout: UInt64, completion: @escaping Completion) {
        self.loop = loop
        what = "\(method == .post ? "POST" : method == .head ? "HEAD" : "GET") \(url)"
        self.completion = completion
        reader = HTTPResponseReader(requestMethod: method)
        var head = "\(method == .post ? "POST" : method == .head ? "HEAD" : "GET") \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\n"
        head += "User-Agent: stoep-acme\r\nAccept: application/json, application/pem-certificate-chain\r\nAccept-Language: en\r\nConnection: close\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if method == .post { head += "Content-Length: \(requestBody.count)\r\n" }
        request = Array((head + "\r\n").utf8) + requestBody
        let t = Timer { [unowned self] _ in self.finish(.failure(ACMEError.transport("\(self.what): no complete answer within \(timeout / 1_000_000_000) s"))) }
        timer = t
        loop.schedule(t, after: timeout)
        do {
            let fd = try Socket.connectTCP(address)
            guard let tlsTransport = tls.transport(fd: fd, serverName: serverName) else {
                fd.close()
                throw ACMEError.transport("\(what): cannot start TLS: \(TLSError.lastError())")
            }
            transport = tlsTransport
            token = try loop.register(fd: fd, handler: self)
        } catch let e as ACMEError {
            failSoon(e)
        } catch {
            failSoon(.transport("\(what): connect to \(address): \(error)"))
        }
    }

    /// A failure found while starting is reported from the loop, as every other outcome is.
    private func failSoon(_ error: ACMEError) {
        if let t = timer { loop.cancel(t) }
        let t = Timer { [unowned self] _ in self.finish(.failure(error)) }
        timer = t
        loop.schedule(t, after: 0)
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        guard let transport, completion != nil else { return }
        if !connected {
            // The handshake waits for the connect: its first write would fail on a socket still connecting.
            guard events.contains(.writable) || events.contains(.error) else { return }
            if let e = Socket.pendingError(fd) { return finish(.failure(.transport("\(what): connect: \(e)"))) }
            connected = true
        }
        if !handshaken {
            switch transport.handshake() {
            case .done: handshaken = true
            case .wantRead, .wantWrite: return
            case .failed(let reason): return finish(.failure(.transport("\(what): TLS handshake: \(reason)")))
            }
        }
        while !request.isEmpty {
            switch request.withUnsafeBytes({ transport.write($0) }) {
            case .bytes(let n): request.removeFirst(n)
            case .wouldBlock: return
            case .eof: return finish(.failure(.transport("\(what): connection closed while sending")))
            case .error(let e): return finish(.failure(.transport("\(what): send: \(e)")))
            }
        }
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while completion != nil {
            switch buffer.withUnsafeMutableBytes({ transport.read(into: $0) }) {
            case .bytes(let n):
                do throws(HTTPResponseReadError) {
                    body += try reader.feed(buffer[0..<n])
                } catch {
                    return finish(.failure(.transport("\(what): \(error)")))
                }
                if body.count > Self.bodyLimit { return finish(.failure(.transport("\(what): answer larger than 1 MiB"))) }
                if reader.isComplete { return complete() }
            case .eof:
                do throws(HTTPResponseReadError) {
                    try reader.finish()
                } catch {
                    return finish(.failure(.transport("\(what): \(error)")))
                }
                return complete()
            case .wouldBlock:
                return
            case .error(let e):
                return finish(.failure(.transport("\(what): recv: \(e)")))
            }
        }
    }

    private func complete() {
        finish(.success(ACMEHTTPResponse(status: reader.status ?? 0, fields: reader.fields, body: body)))
    }

    private func finish(_ result: Result<ACMEHTTPResponse, ACMEError>) {
        guard let completion else { return }
        self.completion = nil
        if let t = timer { loop.cancel(t) }
        timer = nil
        if let t = token { loop.deregister(t) }
        token = nil
        transport?.close()
        transport = nil
        completion(result)
    }
}
