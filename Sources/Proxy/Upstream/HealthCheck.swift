// Active health checks (Traefik's loadBalancer.healthCheck): every `interval`, each server of the
// service gets `GET path` on a fresh connection; a 2xx or 3xx answer within `timeout` keeps it up,
// anything else takes it out of the rotation until a later check passes. Runs on the loop, no thread.
import HTTP
import Reactor

public struct HealthCheckSettings {
    var path: String
    var interval: UInt64
    var timeout: UInt64
    var hostname: String?
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
                self.loop.log.warning("health check \(server.url)\(hc.path): \(up ? "up" : "down")")
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
    private let completion: (HealthProbe, Bool) -> Void

    init(server: UpstreamServer, settings: HealthCheckSettings, loop: EventLoop,
         completion: @escaping (HealthProbe, Bool) -> Void) {
        self.server = server
        self.settings = settings
        self.loop = loop
        self.completion = completion
    }

    func start() {
        do {
            let c = StreamConnection(transport: PlainTransport(fd: try Socket.connectTCP(server.address)), loop: loop, writable: false)
            connection = c
            try c.register(self)
        } catch {
            finish(up: false)
            return
        }
        connection?.deadline(after: settings.timeout) { [unowned self] in self.finish(up: false) }
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        guard let connection = connection?.transport else { return }
        if !sent {
            guard events.contains(.writable) || events.contains(.error) else { return }
            guard Socket.pendingError(fd) == nil else { return finish(up: false) }
            let host = settings.hostname ?? server.hostHeader
            let req = Array("GET \(settings.path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: stoep-healthcheck\r\nConnection: close\r\n\r\n".utf8)
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
            switch HTTPResponseHead.parse(answer, requestMethod: .get) {
            case .complete(let head, _): return finish(up: head.status >= 200 && head.status < 400)
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
