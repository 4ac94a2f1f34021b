// Active health checks (Traefik's loadBalancer.healthCheck, v3.7.9 pkg/healthcheck/healthcheck.go): every
// `interval`, each server of the service gets `method path` (GET by default) on a fresh connection — to
// `port` instead of the server's when set, with `hostname` as Host and `headers` added, as Traefik's
// newRequest builds it; within `timeout`, the answer's status keeps the server up when it equals `status`,
// or, without `status`, when it is 2xx or 3xx (Traefik's checkHealthHTTP). Anything else takes it out of
// the rotation until a later check passes. Runs on the loop, no thread. Redirects are followed unless
// `followRedirects` is false (HealthCheckRedirect.swift).
import HTTP
import Reactor

public struct HealthCheckSettings {
    var path: String
    var interval: UInt64
    var timeout: UInt64
    var hostname: String?
    var method = "GET"
    /// The one status that counts as up; nil = any 2xx or 3xx.
    var expectedStatus: Int?
    /// Probe this port of the server's address instead of its own.
    var port: UInt16?
    var headers: [(name: String, value: String)] = []
    /// Follow 3xx answers with a Location (Traefik's default) and judge the last answer.
    var followRedirects = true

    /// The answer's status keeps the server up (checkHealthHTTP).
    func isUp(status: Int) -> Bool {
        if let expectedStatus { return status == expectedStatus }
        return status >= 200 && status < 400
    }

    /// The address probed: the server's, with `port` in place of its own when set.
    func target(_ address: SocketAddress) -> SocketAddress? {
        guard let port else { return address }
        let text = address.description
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return SocketAddress(host: String(host), port: port)
    }

    /// The first request of a check of the server at `address` whose URL names `authority`: the port
    /// replaced when `port` is set (Traefik's newRequest), the Host `hostname` when set.
    func firstHop(address: SocketAddress, authority: String) -> HealthProbeHop? {
        guard let target = target(address) else { return nil }
        var hostPort = authority
        if let port, let (host, _) = HealthProbeHop.split(authority) {
            hostPort = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
        return HealthProbeHop(address: target, authority: hostPort, pathAndQuery: path, method: method, hostField: hostname)
    }

    /// The request bytes (HTTP/1.1, `Connection: close`). The static decoder refused line breaks in the
    /// method, headers and hostname.
    func request(_ hop: HealthProbeHop) -> [UInt8] {
        var text = "\(hop.method) \(hop.pathAndQuery) HTTP/1.1\r\nHost: \(hop.hostField ?? hop.authority)\r\nUser-Agent: stoep-healthcheck\r\n"
        for field in headers where field.name.lowercased() != "host" { text += "\(field.name): \(field.value)\r\n" }
        return Array((text + "Connection: close\r\n\r\n").utf8)
    }
}

/// Schedules the probes of one route table's services; stopped when the table is replaced.
final class HealthChecker {
    private let loop: EventLoop
    private var timers: [Timer] = []
    private var probes: [ObjectIdentifier: HealthProbe] = [:]
    private var stopped = false

    init(loop: EventLoop) { self.loop = loop }

    func start(_ services: [HTTPService]) {
        for svc in services {
            guard let hc = svc.healthCheck else { continue }
            // HTTPS and h2c servers are not probed yet (the probe speaks plain HTTP/1.1): they stay up,
            // passive health still applies. RouteTableBuilder reports it.
            for server in svc.servers where server.tls == nil && server.http2 != .priorKnowledge {
                let index = timers.count
                let t = Timer { [unowned self, unowned server] _ in
                    self.probe(server, hc)
                    if !self.stopped { self.loop.schedule(self.timers[index], after: hc.interval) }
                }
                timers.append(t)
                loop.schedule(t, after: 1_000_000)  // first check right away
            }
        }
    }

    private func probe(_ server: UpstreamServer, _ hc: HealthCheckSettings) {
        guard !stopped else { return }
        let p = HealthProbe(server: server, settings: hc, loop: loop) { [unowned self] probe, up in
            self.probes[ObjectIdentifier(probe)] = nil
            if server.activeDown == up {
                server.activeDown = !up
                let why = probe.failure.map { " (\($0))" } ?? ""
                self.loop.log.warning("health check \(server.url)\(hc.path): \(up ? "up" : "down")\(why)")
            }
        }
        probes[ObjectIdentifier(p)] = p
        p.start()
    }

    func stop() {
        stopped = true
        for t in timers { loop.cancel(t) }
        timers = []
        for p in probes.values { p.finish(up: false, report: false) }
        probes = [:]
    }
}

/// One health-check request.
final class HealthProbe: IOHandler {
    private let server: UpstreamServer
    private let settings: HealthCheckSettings
    private let loop: EventLoop
    private var connection: StreamConnection<PlainTransport>?
    private var sent = false
    private var answer: [UInt8] = []
    private var done = false
    /// The request under way (the first, or one a redirect asked for).
    private var hop: HealthProbeHop?
    private var startedAt: UInt64 = 0
    /// Why the check failed, when it is not the status (a redirect that cannot be followed).
    private(set) var failure: String?
    private let completion: (HealthProbe, Bool) -> Void

    init(server: UpstreamServer, settings: HealthCheckSettings, loop: EventLoop,
         completion: @escaping (HealthProbe, Bool) -> Void) {
        self.server = server
        self.settings = settings
        self.loop = loop
        self.completion = completion
    }

    func start() {
        guard let first = settings.firstHop(address: server.address, authority: server.hostHeader) else { return finish(up: false) }
        startedAt = loop.now
        send(first)
    }

    /// Opens a fresh connection for `next`; the check's `timeout` covers every redirect (Go's client context).
    private func send(_ next: HealthProbeHop) {
        connection?.close()
        connection = nil
        hop = next
        sent = false
        answer = []
        let elapsed = loop.now &- startedAt
        guard elapsed < settings.timeout else { return finish(up: false) }
        do {
            let c = StreamConnection(transport: PlainTransport(fd: try Socket.connectTCP(next.address)), loop: loop, writable: false)
            connection = c
            try c.register(self)
        } catch {
            finish(up: false)
            return
        }
        connection?.deadline(after: settings.timeout - elapsed) { [unowned self] in self.finish(up: false) }
    }

    /// The answer's head: judged, or a redirect followed.
    private func answered(_ head: HTTPResponseHead) {
        guard settings.followRedirects, HealthProbeHop.redirectStatuses.contains(head.status), let hop,
              let location = field("location", head) else {
            return finish(up: settings.isUp(status: head.status))
        }
        let serverHost = HealthProbeHop.split(server.hostHeader)?.0 ?? ""
        switch hop.following(location, status: head.status, serverHost: serverHost, serverAddress: server.address) {
        case .success(let next): send(next)
        case .failure(let refusal):
            failure = refusal.reason
            finish(up: false)
        }
    }

    /// The first value of field `name` (lower-case), if any.
    private func field(_ name: String, _ head: HTTPResponseHead) -> String? {
        for f in head.fields where String(decoding: answer[f.name], as: UTF8.self).lowercased() == name {
            return String(decoding: answer[f.value], as: UTF8.self)
        }
        return nil
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        guard let connection = connection?.transport else { return }
        if !sent {
            guard events.contains(.writable) || events.contains(.error) else { return }
            guard Socket.pendingError(fd) == nil else { return finish(up: false) }
            guard let hop else { return finish(up: false) }
            let req = settings.request(hop)
            // The request is small enough for a fresh socket's buffer: anything short of all of it fails.
            guard case .bytes(req.count) = req.withUnsafeBytes({ connection.write($0) }) else {
                return finish(up: false)
            }
            sent = true
        }
        var buf = [UInt8](repeating: 0, count: 512)
        while true {
            let r = buf.withUnsafeMutableBytes { connection.read(into: $0) }
            if case .bytes(let n) = r { answer += buf[0..<n] }
            // The status of the answer's head decides; a head the proxy could not read counts as down.
            switch HTTPResponseHead.parse(answer, requestMethod: hop?.method == "HEAD" ? .head : .get) {
            case .complete(let head, _): return answered(head)
            case .error: return finish(up: false)
            case .incomplete: break
            }
            switch r {
            case .bytes: continue
            case .wouldBlock: return
            case .eof, .error: return finish(up: false)
            }
        }
    }

    func finish(up: Bool, report: Bool = true) {
        guard !done else { return }
        done = true
        connection?.close()
        connection = nil
        if report { completion(self, up) }
    }
}
