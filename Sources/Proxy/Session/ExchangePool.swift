// Finished HTTPExchange objects kept for the next requests (issue 18: no heap allocation per keep-alive
// request; the exchange was the last one). One pool per proxy, like HeadBufferPool, so an idle keep-alive
// connection holds no exchange (10,000 idle clients must stay within their memory goal).
//
// An exchange is taken back only when nothing else refers to it (`isKnownUniquelyReferenced`): a retry
// parked on a timer (PendingRequest.carried), a describing call or a frame further up the stack may still
// hold the one that just ended. Such an exchange is left to ARC, and its deinit gives the server's
// in-flight count back as before; a pooled one gives it back in `clear()`, at the same moment.
final class ExchangePool {
    private var kept: [HTTPExchange] = []
    /// At most this many exchanges wait here (the concurrency the pool serves without allocating).
    static let limit = 256

    init() { kept.reserveCapacity(Self.limit) }

    /// A new exchange: a cleared one from the pool, else a new object.
    func take(view: RequestView, route: HTTPRoute?, server: UpstreamServer?, startedAt: UInt64) -> HTTPExchange {
        guard let x = kept.popLast() else {
            return HTTPExchange(view: view, route: route, server: server, startedAt: startedAt)
        }
        x.start(view: view, route: route, server: server, startedAt: startedAt)
        return x
    }

    /// Takes `x` back when the caller's reference is the only one (the caller's variable is emptied either
    /// way). The caller's duty: hold no other reference to it (a `let` binding or parameter counts).
    func giveBack(_ x: inout HTTPExchange?) {
        guard var taken = x.take() else { return }
        guard isKnownUniquelyReferenced(&taken), kept.count < Self.limit else { return }
        taken.clear()
        kept.append(taken)
    }

    /// Exchanges waiting (tests).
    var count: Int { kept.count }
}
