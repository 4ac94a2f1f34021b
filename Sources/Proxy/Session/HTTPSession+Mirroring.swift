// Mirroring services' copies of a request (pkg/server/service/loadbalancer/mirror/mirror.go): the
// mirrors a request goes to are chosen when its server is picked (HTTPService.Mirroring counts them
// there, as getActiveMirrors counts before the service is asked); each copy is written out then, with
// the head the request's server gets (Host as the mirror's passHostHeader says) and the body, and sent
// once the client's answer is complete — as Traefik sends its copies after the service's handler
// returned, so a mirror never delays the client. A copy is one more non-blocking exchange on the loop
// (HTTPClientExchange, its own connection, closed after the answer); the answer is read and dropped.
// Copies in flight are capped (MirrorCopy.maxInFlight): beyond that a copy is dropped and counted.
//
// Bodies: Traefik reads the whole body first (up to maxBodySize; -1 = no limit) and copies it; a longer
// body is not mirrored. stoep holds a request with a Content-Length body of up to MirrorCopy.bodyCap
// until the body is read whole (collectBody) when the route's service mirrors bodies, then copies it up
// to maxBodySize; any other request with a body (chunked, longer, Expect: 100-continue) goes to the
// service unmirrored and is counted as skipped (docs/proxy.md). With
// mirrorBody=false Traefik sends the copy with the body already consumed (a request the mirror cannot
// complete); stoep skips such a copy and counts it.
import HTTP
import HTTPClient
import Reactor

/// One copy of a request for a mirror's server.
struct MirrorCopy {
    let server: UpstreamServer
    let bytes: [UInt8]
    let method: HTTPMethod
    let what: String

    /// Copies in flight at most, across the proxy.
    static let maxInFlight = 256
    /// The largest body copied, whatever maxBodySize says.
    static let bodyCap = 64 << 10
    /// A copy gets this long for its whole exchange.
    static let timeout: UInt64 = 30_000_000_000
}

/// Counters of mirroring services' copies, shown by `stoep stats` (proxy.mirrors).
public struct MirrorCounters {
    public var sent: UInt64 = 0
    public var inFlight = 0
    public var failed: UInt64 = 0
    /// Dropped because `MirrorCopy.maxInFlight` copies were in flight.
    public var dropped: UInt64 = 0
    /// Not copied for its body (see above) or an h2c mirror server.
    public var skipped: UInt64 = 0
}

extension HTTPSession {
    /// Reads the client until `inbuf` holds `awaitingBody` bytes, then lets the held request go on.
    /// False while more must come (or the client went away).
    func collectBody() -> Bool {
        while inbuf.count < awaitingBody {
            guard clientReadable else { return false }
            switch inbuf.read(from: client) {
            case .bytes:
                if inbuf.lastReadDrained { clientReadable = false }
            case .wouldBlock:
                clientReadable = false
                return false
            case .eof, .error:
                close()
                return false
            }
        }
        awaitingBody = 0
        guard let p = heldRequest else { return true }
        heldRequest = nil
        continueRequest(p)
        return true
    }

    /// The copies `pick`'s mirroring services ask for, for the request about to go in `x` (its head and
    /// the body bytes absorbed with it already in `x.upstreamOut`).
    func mirrorCopies(_ pick: ServicePick, _ x: HTTPExchange, _ p: PendingRequest, now: UInt64) -> [MirrorCopy] {
        var copies: [MirrorCopy] = []
        let view = p.view, forward = p.forward
        var body: ArraySlice<UInt8> = []
        var bodyWhole = true
        if !x.requestBody.isNone {
            body = x.upstreamOut[x.headLength...]
            if case .contentLength(let n) = view.head.framing, UInt64(body.count) == n, !x.awaitingContinue { bodyWhole = true } else { bodyWhole = false }
            if forward.heldBodyLength == UInt64(body.count) { bodyWhole = true }  // read whole by `buffering`
        }
        let original = view.pathAndQuery
        for (mirroring, services) in pick.mirrors {
            if !x.requestBody.isNone {
                // mirror.go: a body longer than maxBodySize is not mirrored (the request still goes on).
                if mirroring.maxBodySize >= 0 && body.count > mirroring.maxBodySize && bodyWhole { continue }
                if !mirroring.mirrorBody || !bodyWhole || body.count > MirrorCopy.bodyCap {
                    proxy.mirrors.skipped &+= UInt64(services.count)
                    continue
                }
            }
            for service in services {
                // A mirror with no server up answers 503 into Traefik's black hole: nothing is sent.
                guard let mp = service.pick(now: now, cookies: view.headerValues(named: "cookie"), clientIP: view.clientIP?.description ?? peerText) else { continue }
                if mp.server.http2 == .priorKnowledge {
                    proxy.mirrors.skipped &+= 1
                    continue
                }
                let head = HeadRewriter.request(
                    view, forward: forward, pathChanged: p.targetRewritten || forward.path != original.path || forward.query != original.query,
                    hostOverride: mp.passHostHeader ? nil : mp.server.hostHeader,
                    trustedPeer: view.trustedPeer, peerIP: peerText, scheme: isTLS ? "https" : "http", serverName: proxy.serverName)
                copies.append(MirrorCopy(server: mp.server, bytes: head + body, method: view.head.knownMethod,
                                         what: "\(view.method) \(mp.server.url)\(view.target) (mirror of \(mirroring.service.name))"))
            }
        }
        return copies
    }

    /// Sends `x`'s copies, its client answered.
    func sendMirrors(_ x: HTTPExchange) {
        let copies = x.mirrorCopies
        x.mirrorCopies = []
        let proxy = self.proxy
        for copy in copies {
            guard proxy.mirrors.inFlight < MirrorCopy.maxInFlight else {
                proxy.mirrors.dropped &+= 1
                continue
            }
            proxy.mirrors.inFlight += 1
            proxy.mirrors.sent &+= 1
            copy.server.requests &+= 1
            // The answer is dropped as it arrives (Traefik's blackHoleResponseWriter).
            HTTPClientExchange.start(loop: proxy.loop, to: [.ip(copy.server.address)], tls: copy.server.tls, raw: copy.bytes, method: copy.method,
                                     what: copy.what, timeout: MirrorCopy.timeout, body: .streamed(onHead: { _ in }, onBody: { _ in })) { result in
                proxy.mirrors.inFlight -= 1
                if case .failure = result { proxy.mirrors.failed &+= 1 }
            }
        }
    }
}
