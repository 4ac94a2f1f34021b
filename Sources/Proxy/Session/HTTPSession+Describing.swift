// How an HTTP client connection appears in `show conns`.
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
        if let x = exchange {
            w.field("router", x.route?.name ?? "")
            w.field("upstream", x.server?.url ?? "")
            w.field("bytes_in", x.requestBody.bytes)
            w.field("bytes_out", x.responseBytes)
        }
        w.field("idle_s", Double(now &- lastActivity) / 1e9)
        w.endObject()
    }
}
