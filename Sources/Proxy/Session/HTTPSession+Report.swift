// Reporting finished requests to the proxy's observers (metrics, access log).
import Reactor

extension HTTPSession {
    /// Reports one finished request to the circuit breakers it passed and to the observers. `view` is nil for a request whose head did not parse.
    func report(view: RequestView?, route: HTTPRoute?, server: UpstreamServer?, status: Int, requestBytes: UInt64,
                responseBytes: UInt64, startedAt: UInt64, websocket: Bool = false) {
        let now = proxy.loop.now
        if !currentBreakers.isEmpty {
            for b in currentBreakers { b.record(status: status, latencyNanos: now &- startedAt, now: monotonicNanos()) }
            currentBreakers = []
        }
        guard !proxy.observers.isEmpty else { return }
        let r = CompletedRequest(
            entryPoint: entryPoint.name, router: route?.name, service: route?.service.name, serverURL: server?.url,
            method: view?.method ?? "-", path: view?.target ?? "-", host: view?.hostHeader ?? "",
            protocolName: websocket ? "websocket" : "http", status: status, clientAddress: peerText,
            requestBytes: requestBytes, responseBytes: responseBytes, startedAt: startedAt,
            duration: now &- startedAt, userAgent: view?.header("User-Agent"), referer: view?.header("Referer"),
            user: nil, requestProtocol: client is HTTP2Stream ? "HTTP/2.0" : "HTTP/1.1")
        for o in proxy.observers { o.requestCompleted(r) }
    }
}
