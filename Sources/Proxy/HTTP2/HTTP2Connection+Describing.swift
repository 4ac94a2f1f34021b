// How an HTTP/2 client connection appears in `show conns`: one row for the connection, with its open streams
// nested under `open_streams`, each showing what an HTTP/1.1 row shows for its request in flight.
import JSON
import Reactor
import Stats

extension HTTP2Connection: ConnectionDescribing {
    func describe(into w: inout JSONWriter, now: UInt64) {
        w.beginObject()
        w.field("kind", "http2")
        w.field("entrypoint", entryPoint.name)
        w.field("local", closed ? "closed" : Socket.localAddress(transport.fd))
        w.field("peer", peer.text)
        w.field("state", goingAway ? "closing" : streams.isEmpty ? "idle" : "active")
        w.field("streams", streams.count)
        w.field("idle_s", Double(now &- lastActivity) / 1e9)
        // Bounded by maxConcurrentStreams (250 by default): a few tens of kilobytes at most per connection.
        w.key("open_streams")
        w.beginArray()
        for id in streams.keys.sorted() { streams[id]?.describe(into: &w, now: now) }
        w.endArray()
        w.endObject()
    }
}

extension HTTP2Stream {
    /// One open stream: its id and state, how long it has been open, and its request's keys once routed
    /// (HTTPExchange.describe: method, path, router, service, upstream, bytes_in, bytes_out, elapsed_s).
    /// `state`: "headers" (its field section is not complete), "active" (the request is in flight), "ending"
    /// (the exchange is over; the rest of the response waits for the client's window, or the session is
    /// being closed).
    func describe(into w: inout JSONWriter, now: UInt64) {
        w.beginObject()
        w.field("stream", Int(id))
        let exchange = session?.exchange
        w.field("state", !headReady ? "headers" : exchange != nil ? "active" : "ending")
        w.field("age_s", Double(now &- openedAt) / 1e9)
        exchange?.describe(into: &w, now: now)
        w.endObject()
    }
}
