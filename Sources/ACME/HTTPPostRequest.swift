// One POST on the loop, over HTTP or HTTPS, for the DNS-01 httpreq provider (lego's HTTPREQ_ENDPOINT):
// the endpoint's host looked up with DNSLookup (no blocking getaddrinfo), a non-blocking connect to each
// address in turn, the TLS handshake (system roots, the host name verified) when the URL says https, the
// request written whole, the response read with the HTTP module's HTTPResponseReader. One request per
// connection (`Connection: close`); the whole exchange is bounded by one timeout (lego's
// HTTPREQ_HTTP_TIMEOUT, Go's http.Client.Timeout).
import DNS
import HTTP
import Reactor

/// An http:// or https:// URL, as far as a POST needs it.
struct HTTPEndpoint: Equatable, CustomStringConvertible {
    var tls: Bool
    var host: String
    var port: UInt16
    /// The path without a trailing "/" ("" for the root).
    var path: String
    /// user:password from the URL (Go's client sends them as Basic authentication).
    var userInfo: (user: String, password: String)?

    static func == (a: HTTPEndpoint, b: HTTPEndpoint) -> Bool {
        a.tls == b.tls && a.host == b.host && a.port == b.port && a.path == b.path
            && a.userInfo?.user == b.userInfo?.user && a.userInfo?.password == b.userInfo?.password
    }

    /// `scheme://[user:password@]host[:port][/path]`; nil for anything else (another scheme, a query or
    /// fragment, a bad port).
    init?(_ text: String) {
        let lower = text.lowercased()
        if lower.hasPrefix("https://") { tls = true } else if lower.hasPrefix("http://") { tls = false } else { return nil }
        var rest = Substring(text.dropFirst(tls ? 8 : 7))
        guard !rest.contains("?"), !rest.contains("#") else { return nil }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<slash]
        rest = rest[slash...]
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        path = String(rest)
        if let at = authority.lastIndex(of: "@") {
            let info = authority[..<at]
            let colon = info.firstIndex(of: ":") ?? info.endIndex
            userInfo = (Self.percentDecoded(info[..<colon]),
                        colon < info.endIndex ? Self.percentDecoded(info[info.index(after: colon)...]) : "")
            authority = authority[authority.index(after: at)...]
        }
        port = tls ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = UInt16(after.dropFirst()), p > 0 else { return nil }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            guard let p = UInt16(authority[authority.index(after: colon)...]), p > 0 else { return nil }
            host = String(authority[..<colon])
            port = p
        } else {
            host = String(authority)
        }
        guard !host.isEmpty else { return nil }
    }

    /// The URL of `path` below this endpoint (Go's URL.JoinPath: one "/" between them).
    func target(_ sub: String) -> String { path + sub }

    /// The Host header: the port only when it is not the scheme's default.
    var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (tls ? 443 : 80) ? h : "\(h):\(port)"
    }

    var description: String { "\(tls ? "https" : "http")://\(hostHeader)\(path)" }

    private static func percentDecoded(_ s: Substring) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2,
               let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One POST and its answer. `completion` runs once, on the loop: the status and the body, or why the
/// exchange failed.
final class HTTPPostRequest: IOHandler {
    typealias Completion = (Result<(status: Int, body: [UInt8]), DNS01Error>) -> Void

    private let endpoint: HTTPEndpoint
    private let target: String
    private let loop: EventLoop
    private let tlsContext: TLSClientContext?
    private var completion: Completion?
    private var request: [UInt8]
    private var unsent: ArraySlice<UInt8> = []
    private var addresses: [IPAddress] = []
    private var failures: [String] = []
    private var transport: Transport?
    private var tls: TLSTransport?
    private var connected = false
    private var token: Token?
    private var timer: Timer?
    private var reader = HTTPResponseReader(requestMethod: .post)
    private var body: [UInt8] = []

    /// `headers` come after Host; Content-Length and Connection are added.
    init(endpoint: HTTPEndpoint, path: String, headers: [(String, String)], body: [UInt8], tlsContext: TLSClientContext?,
         loop: EventLoop, completion: @escaping Completion) {
        self.endpoint = endpoint
        self.loop = loop
        self.tlsContext = tlsContext
        self.completion = completion
        target = endpoint.target(path)
        var head = HTTPHeaderWriter()
        head.requestLine(method: "POST".utf8, target: (target.isEmpty ? "/" : target).utf8)
        head.field("Host", endpoint.hostHeader)
        for (name, value) in headers { head.field(name, value) }
        head.field("Content-Length", UInt64(body.count))
        head.field("Connection", "close")
        request = head.bytes + [0x0D, 0x0A] + body
    }

    /// Starts the exchange; it ends within `timeout` nanoseconds.
    func start(timeout: UInt64) {
        let t = Timer { [weak self] _ in self?.fail("no answer within \(timeout / 1_000_000_000) s") }
        timer = t
        loop.schedule(t, after: timeout)
        DNSLookup.addresses(of: endpoint.host, loop: loop) { [weak self] result in
            guard let self, self.completion != nil else { return }
            switch result {
            case .success(let found):
                self.addresses = found
                self.connectNext()
            case .failure(let error):
                self.fail("cannot look up \(self.endpoint.host): \(error)")
            }
        }
    }

    func cancel() {
        completion = nil
        release()
    }

    private var url: String { "\(endpoint.tls ? "https" : "http")://\(endpoint.hostHeader)\(target)" }

    private func connectNext() {
        release()
        guard !addresses.isEmpty else {
            return fail(failures.isEmpty ? "no address" : failures.joined(separator: "; "))
        }
        let ip = addresses.removeFirst()
        do throws(SystemError) {
            guard let address = SocketAddress(host: ip.description, port: endpoint.port) else {
                throw SystemError("address \(ip)", errno: .invalidArgument)
            }
            let fd = try Socket.connectTCP(address)
            if let context = tlsContext {
                guard let t = context.transport(fd: fd, serverName: endpoint.host) else {
                    fd.close()
                    throw SystemError("TLS set-up for \(endpoint.host)", errno: .noMemory)
                }
                tls = t
                transport = t
            } else {
                transport = PlainTransport(fd: fd)
            }
            connected = false
            unsent = request[...]
            reader = HTTPResponseReader(requestMethod: .post)
            body = []
            token = try loop.register(fd: fd, handler: self)
        } catch {
            failures.append("\(ip): \(error)")
            connectNext()
        }
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        guard completion != nil, let transport else { return }
        if !connected {
            guard events.contains(.writable) || events.contains(.error) else { return }
            if let e = Socket.pendingError(fd) {
                failures.append("connect \(endpoint.host):\(endpoint.port): \(e)")
                return connectNext()
            }
            connected = true
        }
        if let t = tls, !t.handshakeDone {
            switch t.handshake() {
            case .done: break
            case .wantRead, .wantWrite: return
            case .failed(let reason): return fail("TLS handshake with \(endpoint.host): \(reason)")
            }
        }
        while !unsent.isEmpty {
            switch unsent.withUnsafeBytes({ transport.write($0) }) {
            case .bytes(let n): unsent = unsent.dropFirst(n)
            case .wouldBlock: return
            case .eof, .error(_): return fail("the connection to \(endpoint.host) ended while sending")
            }
        }
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while completion != nil {
            switch buffer.withUnsafeMutableBytes({ transport.read(into: $0) }) {
            case .bytes(let n):
                do throws(HTTPResponseReadError) {
                    body += try reader.feed(buffer[0..<n])
                    if body.count > 64 << 10 { return fail("the answer is larger than 64 KiB") }
                    if reader.isComplete { return succeed() }
                } catch {
                    return fail("\(error)")
                }
            case .eof:
                do throws(HTTPResponseReadError) {
                    try reader.finish()
                    return succeed()
                } catch {
                    return fail("\(error)")
                }
            case .wouldBlock:
                return
            case .error(let e):
                return fail("receiving from \(endpoint.host): \(e)")
            }
        }
    }

    private func succeed() {
        guard let done = completion, let status = reader.status else { return }
        completion = nil
        release()
        done(.success((status, body)))
    }

    private func fail(_ why: String) {
        guard let done = completion else { return }
        completion = nil
        release()
        done(.failure(DNS01Error("POST \(url): \(why)")))
    }

    private func release() {
        if let t = token { loop.deregister(t) }
        token = nil
        transport?.close()
        transport = nil
        tls = nil
        if completion == nil, let t = timer {
            loop.cancel(t)
            timer = nil
        }
    }
}
