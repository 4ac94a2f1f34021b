// How an HTTP client connection appears in `show conns`, and the request in flight as both an HTTP/1.1 row
// and an HTTP/2 stream row show it (HTTP2Connection+Describing).
import JSON
import Reactor
import Stats

extension HTTPSession: ConnectionDescribing {
    func describe(into w: inout JSONWriter, now: UInt64) {
        w.beginObject()
        w.field("kind", "http")
        w.field("entrypoint", entryPoint.name)
        w.field("local", closed ? "closed" : Socket.localAddress(client.fd))
        w.field("peer", peerText)
        w.field("state", exchange != nil ? "active" : lingering ? "closing" : "idle")
        exchange?.describe(into: &w, now: now)
        w.field("idle_s", Double(now &- lastActivity) / 1e9)
        w.endObject()
    }
}

extension HTTPExchange {
    /// The request's keys in a `show conns` row: method, path (without the query, which may carry
    /// secrets), router, service, upstream (the server URL; "" for an internal service or a middleware's
    /// own answer), body bytes each way so far, and seconds since the request's head was read.
    func describe(into w: inout JSONWriter, now: UInt64) {
        w.field("method", view.method)
        w.field("path", view.pathAndQuery.path)
        w.field("router", route?.name ?? "")
        w.field("service", route.map { $0.internalService?.rawValue ?? $0.service.name } ?? "")
        w.field("upstream", server?.url ?? "")
        w.field("bytes_in", requestBody.bytes)
        w.field("bytes_out", responseBody.bytes)
        w.field("elapsed_s", Double(now &- startedAt) / 1e9)
    }
}
