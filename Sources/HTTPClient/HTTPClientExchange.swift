// One HTTP/1.1 request of stoep's own, on the loop: the ACME client's requests to the CA, the DNS-01
// httpreq hook's POSTs, the Docker Engine API's GETs and its event stream. Connect (non-blocking) to each
// address in turn until one answers, the TLS handshake when asked (the server's name verified), the
// request written whole, the response read with the HTTP module's HTTPResponseReader: kept whole up to a
// limit, or handed on piece by piece as it arrives (an event stream). One request per connection
// (`Connection: close`): these clients ask a few times a minute at most, so a kept connection buys
// nothing, and a closed one is never stale (the peer going away shows as the connection ending).
// Bounded by one timeout, or none (the Docker event stream lives as long as the daemon).
import HTTP
import Reactor

/// Where a request may go; the first that accepts the connection takes it.
public enum HTTPClientAddress: Sendable, CustomStringConvertible {
    case ip(SocketAddress)
    /// A unix socket's path (the Docker Engine API).
    case unix(String)

    public var description: String {
        switch self {
        case .ip(let a): return a.description
        case .unix(let path): return path
        }
    }
}

/// What is sent: Host comes first, then `headers`; Content-Length (for a body or a POST) and
/// `Connection: close` are added.
public struct HTTPClientRequest: Sendable {
    public var method: HTTPMethod
    public var target: String
    public var host: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(_ method: HTTPMethod, target: String, host: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.target = target.isEmpty ? "/" : target
        self.host = host
        self.headers = headers
        self.body = body
    }

    /// The method's name; stoep's clients send no other.
    var methodName: String {
        switch method {
        case .get: return "GET"
        case .head: return "HEAD"
        case .post: return "POST"
        case .put: return "PUT"
        case .delete: return "DELETE"
        case .patch: return "PATCH"
        case .options: return "OPTIONS"
        case .connect, .trace, .other: preconditionFailure("stoep's clients do not send \(method)")
        }
    }

    var bytes: [UInt8] {
        var head = HTTPHeaderWriter()
        head.requestLine(method: methodName.utf8, target: target.utf8)
        head.field("Host", host)
        for (name, value) in headers { head.field(name, value) }
        if !body.isEmpty || method == .post || method == .put || method == .patch { head.field("Content-Length", UInt64(body.count)) }
        head.field("Connection", "close")
        return head.finished() + body
    }
}

/// A complete answer (for a streamed body, `body` is empty: the pieces went to `onBody`).
public struct HTTPClientResponse: Sendable {
    public let status: Int
    public let fields: [(name: String, value: String)]
    public let body: [UInt8]

    /// The first field of that name (lower-case).
    public func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
    /// Every field of that name (Link appears several times).
    public func fields(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }
}

/// Why an exchange failed: `request` names it ("POST https://dns.example/present"), `reason` says what
/// went wrong (every address tried, the handshake, the timeout, an unreadable answer).
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public let request: String
    public let reason: String
    /// The answer passed the `.whole` limit (a caller may answer that differently from a failed exchange).
    public var bodyTooLarge = false
    public var description: String { "\(request): \(reason)" }
}

/// How the response body is taken.
public enum HTTPClientBody {
    /// Kept and returned with the response; more than `limit` bytes fails the exchange.
    case whole(limit: Int)
    /// `onHead` gets the status once the head is read, `onBody` each piece as it arrives. Either may
    /// cancel the exchange.
    case streamed(onHead: (Int) -> Void, onBody: ([UInt8]) -> Void)
}

public final class HTTPClientExchange: IOHandler {
    public typealias Completion = (Result<HTTPClientResponse, HTTPClientError>) -> Void

    private let loop: EventLoop
    private let what: String
    private let tls: (context: TLSClientContext, serverName: String)?
    private let request: [UInt8]
    private let method: HTTPMethod
    private let bodyMode: HTTPClientBody
    private let timeout: UInt64?
    private var completion: Completion?
    private var addresses: ArraySlice<HTTPClientAddress>
    private var failures: [String] = []
    private var current: HTTPClientAddress?
    private var transport: Transport?
    private var tlsTransport: TLSTransport?
    private var token: Token?
    private var timer: Timer?
    private var connected = false
    private var unsent: ArraySlice<UInt8> = []
    private var reader: HTTPResponseReader
    private var body: [UInt8] = []
    private var headSeen = false
    /// The exchange keeps itself alive until it ends or is cancelled: a caller need not hold it.
    private var running: HTTPClientExchange?

    /// Starts `request` to `addresses` (tried in order), over TLS when `tls` names the context and the
    /// name to verify, ending within `timeout` nanoseconds (nil: never). `completion` is called exactly
    /// once unless cancelled, on the loop, never from inside this call.
    @discardableResult
    public static func start(loop: EventLoop, to addresses: [HTTPClientAddress], tls: (context: TLSClientContext, serverName: String)?,
                             request: HTTPClientRequest, timeout: UInt64?, body: HTTPClientBody,
                             completion: @escaping Completion) -> HTTPClientExchange {
        let exchange = HTTPClientExchange(loop: loop, addresses: addresses, tls: tls, request: request, timeout: timeout,
                                          body: body, completion: completion)
        exchange.running = exchange
        // The first connect waits for the next turn, so a failure at once is reported as every other outcome.
        let t = Timer { [weak exchange] _ in exchange?.begin() }
        exchange.timer = t
        loop.schedule(t, after: 0)
        return exchange
    }

    /// Starts a request already written out (`raw`: head and body, as the proxy forwards them — a
    /// mirroring service's copy); `method` tells the reader whether a body follows, `what` names it in
    /// errors. The connection is closed once the answer is complete, whatever the head asked.
    @discardableResult
    public static func start(loop: EventLoop, to addresses: [HTTPClientAddress], tls: (context: TLSClientContext, serverName: String)?,
                             raw: [UInt8], method: HTTPMethod, what: String, timeout: UInt64?, body: HTTPClientBody,
                             completion: @escaping Completion) -> HTTPClientExchange {
        let exchange = HTTPClientExchange(loop: loop, addresses: addresses, tls: tls, bytes: raw, method: method, what: what, timeout: timeout,
                                          body: body, completion: completion)
        exchange.running = exchange
        let t = Timer { [weak exchange] _ in exchange?.begin() }
        exchange.timer = t
        loop.schedule(t, after: 0)
        return exchange
    }

    private convenience init(loop: EventLoop, addresses: [HTTPClientAddress], tls: (context: TLSClientContext, serverName: String)?,
                             request: HTTPClientRequest, timeout: UInt64?, body: HTTPClientBody, completion: @escaping Completion) {
        self.init(loop: loop, addresses: addresses, tls: tls, bytes: request.bytes, method: request.method,
                  what: "\(request.methodName) \(tls == nil ? "http" : "https")://\(request.host)\(request.target)",
                  timeout: timeout, body: body, completion: completion)
    }

    private init(loop: EventLoop, addresses: [HTTPClientAddress], tls: (context: TLSClientContext, serverName: String)?,
                 bytes: [UInt8], method: HTTPMethod, what: String, timeout: UInt64?, body: HTTPClientBody, completion: @escaping Completion) {
        self.loop = loop
        self.addresses = addresses[...]
        self.tls = tls
        request = bytes
        self.method = method
        bodyMode = body
        self.timeout = timeout
        self.completion = completion
        reader = HTTPResponseReader(requestMethod: method)
        self.what = what
    }

    /// Ends the exchange without calling back (the owner moved on).
    public func cancel() {
        completion = nil
        release()
    }

    private func begin() {
        timer = nil
        if let timeout {
            let t = Timer { [weak self] _ in self?.fail("no complete answer within \(timeout / 1_000_000_000) s") }
            timer = t
            loop.schedule(t, after: timeout)
        }
        connectNext()
    }

    /// Closes the current connection, if any, and connects to the next address that takes a socket.
    private func connectNext() {
        closeConnection()
        while let address = addresses.popFirst() {
            current = address
            do throws(SystemError) {
                let fd: FileDescriptor
                switch address {
                case .ip(let a): fd = try Socket.connectTCP(a)
                case .unix(let path): fd = try Socket.connectUnix(path: path)
                }
                if let tls {
                    guard let t = tls.context.transport(fd: fd, serverName: tls.serverName) else {
                        fd.close()
                        return fail("cannot start TLS: \(TLSError.lastError())")
                    }
                    tlsTransport = t
                    transport = t
                } else {
                    transport = PlainTransport(fd: fd)
                }
                connected = false
                unsent = request[...]
                token = try loop.register(fd: fd, handler: self)
                return
            } catch {
                closeConnection()
                failures.append("\(error)")
            }
        }
        fail(failures.isEmpty ? "no address to connect to" : failures.joined(separator: "; "))
    }

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        guard completion != nil, let transport else { return }
        if !connected {
            // The handshake and the request wait for the connect: a write would fail on a socket still connecting.
            guard events.contains(.writable) || events.contains(.error) else { return }
            if let e = Socket.pendingError(fd) {
                failures.append("connect \(current?.description ?? "?"): \(e)")
                return connectNext()
            }
            connected = true
        }
        if let t = tlsTransport, !t.handshakeDone {
            switch t.handshake() {
            case .done: break
            case .wantRead, .wantWrite: return
            case .failed(let reason): return fail("TLS handshake with \(tls?.serverName ?? "?"): \(reason)")
            }
        }
        while !unsent.isEmpty {
            switch unsent.withUnsafeBytes({ transport.write($0) }) {
            case .bytes(let n): unsent = unsent.dropFirst(n)
            case .wouldBlock: return
            case .eof: return fail("connection closed while sending")
            case .error(let e): return fail("send to \(current?.description ?? "?"): \(e)")
            }
        }
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while completion != nil {
            switch buffer.withUnsafeMutableBytes({ transport.read(into: $0) }) {
            case .bytes(let n):
                deliver(buffer[0..<n])
            case .eof:
                do throws(HTTPResponseReadError) {
                    try reader.finish()
                } catch {
                    return fail("\(error)")
                }
                return succeed()
            case .wouldBlock:
                return
            case .error(let e):
                return fail("recv from \(current?.description ?? "?"): \(e)")
            }
        }
    }

    /// Feeds what arrived to the reader and hands the body on as the mode says.
    private func deliver(_ bytes: ArraySlice<UInt8>) {
        let piece: [UInt8]
        do throws(HTTPResponseReadError) {
            piece = try reader.feed(bytes)
        } catch {
            return fail("\(error)")
        }
        switch bodyMode {
        case .whole(let limit):
            body += piece
            if body.count > limit { return fail("answer larger than \(Self.size(limit))", bodyTooLarge: true) }
        case .streamed(let onHead, let onBody):
            if !headSeen, let status = reader.status {
                headSeen = true
                onHead(status)
                if completion == nil { return }
            }
            if !piece.isEmpty { onBody(piece) }
            if completion == nil { return }
        }
        if reader.isComplete { succeed() }
    }

    private func succeed() {
        guard let done = completion else { return }
        let response = HTTPClientResponse(status: reader.status ?? 0, fields: reader.fields, body: body)
        cancel()
        done(.success(response))
    }

    private func fail(_ reason: String, bodyTooLarge: Bool = false) {
        guard let done = completion else { return }
        cancel()
        var error = HTTPClientError(request: what, reason: reason)
        error.bodyTooLarge = bodyTooLarge
        done(.failure(error))
    }

    private func closeConnection() {
        if let t = token { loop.deregister(t) }
        token = nil
        transport?.close()
        transport = nil
        tlsTransport = nil
        reader = HTTPResponseReader(requestMethod: method)
        body = []
        headSeen = false
    }

    private func release() {
        closeConnection()
        if let t = timer { loop.cancel(t) }
        timer = nil
        running = nil
    }

    /// "1 MiB", "64 KiB", "100 bytes".
    private static func size(_ n: Int) -> String {
        n >= 1 << 20 && n % (1 << 20) == 0 ? "\(n >> 20) MiB" : n >= 1 << 10 && n % (1 << 10) == 0 ? "\(n >> 10) KiB" : "\(n) bytes"
    }
}
