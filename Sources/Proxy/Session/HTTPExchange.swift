// One request/response exchange of a session: the routed request, its upstream connection, and where
// each of the two bodies stands. Exchanges are kept by the proxy's ExchangePool between requests (issue
// 18: no allocation per keep-alive request): `clear()` puts every property back as `init` leaves it, so a
// reused exchange starts as a new one would.
import HTTP
import Reactor

final class HTTPExchange {
    private(set) var view: RequestView
    private(set) var route: HTTPRoute?
    /// Counted in the server's requests in flight while the exchange has it (p2c, leasttime): given back
    /// by `clear()` when the exchange goes to the pool, or by `deinit` when it is freed.
    var server: UpstreamServer? {
        didSet {
            if oldValue !== server {
                oldValue?.load.inFlight -= 1
                server?.load.inFlight += 1
            }
        }
    }
    /// When the server was picked (leasttime's time to first byte runs from there).
    var pickedAt: UInt64 = 0
    /// Copies of the request for mirroring services on the way to the server, sent once it is answered.
    var mirrorCopies: [MirrorCopy] = []
    var upstream: UpstreamConnection?
    /// The connection came from the pool: a failure before any answer may be retried once on a new one.
    var reusedConnection = false
    var upstreamOut: [UInt8] = []
    var upstreamOutSent = 0
    var requestBody: BodyForwarder
    var requestDone = false
    var responseHead: HTTPResponseHead?
    var responseBody = BodyForwarder(.none)
    var responseDone = false
    /// The response body through a compressor, when a compress middleware's choice applies to it.
    var compressedBody: CompressingBodyForwarder?
    /// compress middlewares' choices for this request (ForwardedRequest.compressions).
    var compressions: [CompressionChoice] = []
    /// Body bytes sent to the client, compressed or not.
    var responseBytes: UInt64 { compressedBody?.bytes ?? responseBody.bytes }
    var responseHeaders: [(name: String, value: String)] = []
    /// The answer's fields as the client got them, kept only when observers want headers.
    var loggedResponseFields: [(name: String, value: String)] = []
    /// forwardAuth's addAuthCookiesToResponse: the backend's Set-Cookie fields rewritten.
    var authCookies: AuthCookies?
    /// Set-Cookie values of sticky balancers (HTTPService.pick), added beside the backend's own.
    var setCookies: [String] = []
    var status = 0
    var maxRequestBody: UInt64 = .max
    /// `buffering` read the body whole: its length, for a retry's next attempt.
    var heldBodyLength: UInt64?
    private(set) var startedAt: UInt64
    var connectDeadline: UInt64 = 0
    /// responseHeaderTimeout: when the response head must have come (0 = no limit).
    var responseDeadline: UInt64 = 0
    /// `Expect: 100-continue`: the body waits until the backend sends 100 (forwarded to the client) or a
    /// second has passed (then stoep tells the client `100 Continue` itself), as Go's transport waits
    /// (Traefik's ExpectContinueTimeout) and Go's server answers the expectation when the body is read.
    var awaitingContinue = false
    /// When the wait ends (0: the head is not sent yet).
    var continueDeadline: UInt64 = 0
    static let expectContinueTimeout: UInt64 = 1_000_000_000
    /// Bytes of `upstreamOut` that are the request head (body bytes that came with the head follow).
    var headLength = 0
    /// inFlightReq claims, given back when the exchange goes away.
    var tickets: [InFlightTicket] = []
    /// `retry`: the request as it stood at the retry middleware, and the attempt this exchange is.
    var retryFrom: RetryStart?
    var attempt = 1
    var retryStartedAt: UInt64 = 0
    /// How the last failed attempt would be answered (502, 504, 500).
    var failureStatus = 502
    /// `contentType`: sniff a Content-Type for a response that has none.
    var sniffContentType = false
    /// The request as the middlewares left it (errors needs it to ask for a page).
    var forward: ForwardedRequest?
    /// An error page's exchange: the status the client gets instead of the page's own.
    var pageStatus: Int?
    /// The page answers a HEAD request: its body is not forwarded (and its connection not reused).
    var pageForHead = false
    /// What the sniffing found, sent as Content-Type.
    var sniffedType: String?
    /// A request that may be sent again on a fresh connection after a reused one failed before any answer,
    /// as Go's transport decides (persistConn.shouldRetryRequest): a body-less request when nothing of it
    /// was written yet, or once it was written only when it is replayable (Request.isReplayable: no body,
    /// and GET, HEAD, OPTIONS, TRACE or an Idempotency-Key / X-Idempotency-Key field). A POST or DELETE the
    /// server may have acted on is answered 502, never sent twice.
    var retryable: Bool {
        guard requestBody.isNone else { return false }
        if upstreamOutSent == 0 || refusedUnprocessed { return true }
        switch view.method {
        case "GET", "HEAD", "OPTIONS", "TRACE": return true
        default: return view.header("Idempotency-Key") != nil || view.header("X-Idempotency-Key") != nil
        }
    }
    /// An HTTP/2 backend refused the stream (REFUSED_STREAM): it did not process it, any method may go again.
    var refusedUnprocessed = false

    init(view: RequestView, route: HTTPRoute?, server: UpstreamServer?, startedAt: UInt64) {
        self.view = view
        self.route = route
        self.server = server
        server?.load.inFlight += 1
        self.startedAt = startedAt
        pickedAt = startedAt
        requestBody = BodyForwarder(view.head.framing)
    }

    /// A pooled (cleared) exchange made the exchange of a new request, as `init` makes one.
    func start(view: RequestView, route: HTTPRoute?, server: UpstreamServer?, startedAt: UInt64) {
        self.view = view
        self.route = route
        self.server = server  // didSet counts it in flight
        self.startedAt = startedAt
        pickedAt = startedAt
        requestBody = BodyForwarder(view.head.framing)
    }

    /// Puts every stored property back as `init` leaves it, dropping what the finished exchange refers to:
    /// the request's head bytes and the parsed response head (the session's pooled head buffers, which
    /// must not stay shared, or the next request's first write into them would copy), the route, and the
    /// server's in-flight count. HTTPExchangePoolTests holds a cleared exchange equal to a new one,
    /// property by property, so a property added here without its reset fails there.
    func clear() {
        view = RequestView.none
        route = nil
        server = nil  // didSet gives the in-flight count back
        pickedAt = 0
        mirrorCopies = []
        upstream = nil
        reusedConnection = false
        upstreamOut = []
        upstreamOutSent = 0
        requestBody = BodyForwarder(.none)
        requestDone = false
        responseHead = nil
        responseBody = BodyForwarder(.none)
        responseDone = false
        compressedBody = nil
        compressions = []
        responseHeaders = []
        loggedResponseFields = []
        authCookies = nil
        setCookies = []
        status = 0
        maxRequestBody = .max
        heldBodyLength = nil
        startedAt = 0
        connectDeadline = 0
        responseDeadline = 0
        awaitingContinue = false
        continueDeadline = 0
        headLength = 0
        tickets = []
        retryFrom = nil
        attempt = 1
        retryStartedAt = 0
        failureStatus = 502
        sniffContentType = false
        forward = nil
        pageStatus = nil
        pageForHead = false
        sniffedType = nil
        refusedUnprocessed = false
    }

    deinit {
        server?.load.inFlight -= 1
    }
}
