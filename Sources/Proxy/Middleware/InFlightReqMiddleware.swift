// Traefik's `inFlightReq` middleware (pkg/middlewares/inflightreq, over oxy's connlimit): at most
// `amount` requests of one source in progress; the next is answered 429. A request stops counting when
// its response is complete (or it failed) — the InFlightTicket it carries is released then.
import Config

final class InFlightReqMiddleware: HTTPMiddleware, SourceLimitFigures {
    let name: String
    let type = "inFlightReq"
    let amount: Int
    let source: RequestSource
    /// Requests in progress by source. Like connlimit's map, a source leaves it when its count drops to
    /// zero, so it never holds more sources than there are requests in progress: no cap is needed.
    private var inProgress: [String: Int] = [:]
    private(set) var rejected: UInt64 = 0
    let delayed: UInt64 = 0
    let evictions: UInt64 = 0

    init(name: String, config: TraefikInFlightReq) {
        self.name = name
        amount = Int(config.amount)
        source = RequestSource(config.source)
    }

    var sources: Int { inProgress.count }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        let key = source.key(of: request)
        let count = inProgress[key] ?? 0
        guard count < amount else {
            rejected &+= 1
            // connlimit's ConnErrHandler: WriteHeader(429), then the MaxConnError text; no Content-Type.
            return LocalResponse(status: 429, body: Array("max connections reached: \(amount)".utf8))
        }
        inProgress[key] = count + 1
        forward.tickets.append(InFlightTicket { [weak self] in self?.release(key) })
        return nil
    }

    private func release(_ key: String) {
        guard let count = inProgress[key] else { return }
        inProgress[key] = count > 1 ? count - 1 : nil
    }
}

/// A claim on an inFlightReq slot, given back when the ticket goes away: with the exchange that carries
/// it, or with the request's middleware state when a later middleware answers. Releasing in deinit keeps
/// every end of a request (done, failed, client gone, answered early) covered without a call on each path.
final class InFlightTicket {
    private let release: () -> Void
    init(_ release: @escaping () -> Void) { self.release = release }
    deinit { release() }
}
