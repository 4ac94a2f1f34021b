// How a relay appears in `show conns`.
import JSON
import Reactor
import Stats

extension Relay: ConnectionDescribing {
    public func describe(into w: inout JSONWriter, now: UInt64) {
        w.beginObject()
        w.field("id", id)
        w.field("kind", kind)
        w.field("local", a.fd.isValid ? Socket.localAddress(a.fd) : "closed")
        w.field("peer", a.fd.isValid ? Socket.peerAddress(a.fd) : "closed")
        w.field("upstream", b.fd.isValid ? Socket.peerAddress(b.fd) : "closed")
        w.field("state", state)
        w.field("bytes_in", bytesUp)
        w.field("bytes_out", bytesDown)
        w.field("age_s", Double(now &- startedAt) / 1e9)
        w.endObject()
    }
}
