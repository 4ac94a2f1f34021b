// How a UDP session appears in `show conns`: kind "udp", the client and the server it was opened to.
import JSON
import Stats

extension UDPSession: ConnectionDescribing {
    func describe(into w: inout JSONWriter, now: UInt64) {
        w.beginObject()
        w.field("kind", "udp")
        w.field("entrypoint", entryPoint.name)
        w.field("peer", client.description)
        w.field("upstream", upstream.configured)
        w.field("datagrams_in", datagramsUp)
        w.field("datagrams_out", datagramsDown)
        w.field("age_s", Double(now &- startedAt) / 1e9)
        w.field("idle_s", Double(now &- lastActivity) / 1e9)
        w.endObject()
    }
}
