// Reporting finished requests to the proxy's observers (metrics, access log).
import HTTP
import Reactor

extension HTTPSession {
    /// Reports one finished request to the circuit breakers it passed and to the observers. `view` is nil for a request whose head did not parse.
    func report(view: RequestView?, route: HTTPRoute?, server: UpstreamServer?, status: Int, requestBytes: UInt64,
                responseBytes: UInt64, startedAt: UInt64, websocket: Bool = false, retryAttempts: Int = 0,
                responseFields: [(name: String, value: String)] = [], internalRouter: HTTPRoute? = nil) {
        let now = proxy.loop.now
        if !currentBreakers.isEmpty {
            for b in currentBreakers { b.record(status: status, latencyNanos: now &- startedAt, now: monotonicNanos()) }
            currentBreakers = []
        }
        guard !proxy.observers.isEmpty else { return }
        // The target, User-Agent and Referer as Strings only for an observer that reads them (the access log).
        let text = proxy.observersWantRequestText ? view : nil
        var r = CompletedRequest(
            entryPoint: entryPoint.name, router: route?.name, service: route?.service.name, serverURL: server?.url,
            method: view?.method ?? "-", path: text?.target ?? "-", host: view?.hostHeader ?? "",
            protocolName: websocket ? "websocket" : "http", status: status, clientAddress: peerText,
            requestBytes: requestBytes, responseBytes: responseBytes, startedAt: startedAt,
            duration: now &- startedAt, userAgent: text?.header("User-Agent"), referer: text?.header("Referer"),
            user: nil, requestProtocol: client is HTTP2Stream ? "HTTP/2.0" : "HTTP/1.1")
        // Traefik's `internal`: the router's service is one of its own (api, ping, noop, prometheus…).
        r.internalService = internalRouter != nil || route?.internalService != nil
        r.internalRouterName = internalRouter?.name
        r.retryAttempts = max(0, retryAttempts)
        r.fromServer = server != nil
        if proxy.observersWantHeaders {
            if let view {
                r.requestHeaders = view.head.fields.compactMap { f in
                    let name = view.text(f.name)
                    return view.headerValues(named: name).isEmpty ? nil : (name, view.text(f.value))
                }
            }
            r.responseHeaders = responseFields
            // Traefik turns content sniffing off on every router by setting Content-Type to nil in the
            // header map (contenttype.DisableAutoDetection): an answer through a router without one shows
            // it empty.
            if route != nil || internalRouter != nil,
               !responseFields.contains(where: { HTTPASCII.equalsIgnoringCase($0.name.utf8, "content-type".utf8) }) {
                r.responseHeaders.append(("Content-Type", ""))
            }
        }
        for o in proxy.observers { o.requestCompleted(r) }
    }
}
