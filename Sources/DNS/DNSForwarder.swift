// Forwarding to upstream servers, with the cache in front. At most `dns-forward-max` queries are in
// flight upstream; past that a query is answered REFUSED at once (dnsmasq does the same).
//
// Server order (documented default, see docs/dns.md): strict-order walks the configured order;
// all-servers asks all at once; otherwise the server that answered last is tried first and the others
// follow in configured order — dnsmasq likewise favours the server that has been answering.
import Reactor
import Stats

public final class DNSForwarder {
    public final class Counters {
        public var forwarded: UInt64 = 0
        public var refusedBusy: UInt64 = 0
        public var refusedNoServer: UInt64 = 0
        public var servfail: UInt64 = 0
        public var mismatched: UInt64 = 0
        public var cacheAnswers: UInt64 = 0
    }

    let loop: EventLoop
    public let upstreams: DNSUpstreams
    let timeout: UInt64
    let strictOrder: Bool
    let allServers: Bool
    let forwardMax: Int
    let advertisedUDPSize: UInt16
    public let cache: DNSCache
    public let counters = Counters()
    private var inFlight: [ObjectIdentifier: DNSPendingQuery] = [:]
    private var preferred: DNSUpstream?
    private let log: ((String) -> Void)?
    /// Whether answers are logged (log-queries): their records are then collected for the reply lines.
    var logsReplies: Bool { log != nil }
    /// Where every attempt reads its answers: one buffer for all (one thread, each answer copied out
    /// before the next read), sized for the largest DNS message.
    let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

    init(settings: DNSSettings, resolvServers: [IPAddress], loop: EventLoop, log: ((String) -> Void)?) {
        self.loop = loop
        upstreams = DNSUpstreams(settings: settings, resolvServers: resolvServers)
        timeout = UInt64(settings.upstreamTimeoutMilliseconds) * 1_000_000
        strictOrder = settings.strictOrder
        allServers = settings.allServers
        forwardMax = settings.dnsForwardMax
        advertisedUDPSize = UInt16(clamping: settings.ednsPacketMax)
        cache = DNSCache(capacity: settings.cacheSize, minTTL: settings.minCacheTTL, maxTTL: settings.maxCacheTTL,
                         negativeTTL: settings.negativeTTL)
        self.log = log
        // server-tls: one channel (connection) per upstream; the trust is loaded once for all of them
        // (checked at load time already, DNSSetup; nil here fails their queries with the reason).
        let tlsUpstreams = upstreams.all.filter { $0.tls != nil }
        if !tlsUpstreams.isEmpty {
            let context = try? DNSTLSChannel.trust(caFiles: settings.serverTLSCA)
            for u in tlsUpstreams {
                u.channel = DNSTLSChannel(upstream: u, server: u.tls!, context: context, loop: loop, scratch: receiveBuffer)
            }
        }
    }

    deinit { receiveBuffer.deallocate() }

    public var pending: Int { inFlight.count }

    /// Seconds on the monotonic clock, for cache TTLs.
    private var nowSeconds: UInt64 { loop.now / 1_000_000_000 }

    /// The answer to `query` from the cache, shaped for it; nil on a miss (then `forward`). Synchronous,
    /// so the listener sends it with the local answers of the same batch.
    func cachedAnswer(to query: DNSQuery, limit: Int) -> [UInt8]? {
        let dnssecOK = query.edns?.dnssecOK ?? false
        let now = nowSeconds
        guard let cached = cache.lookup(query.question, dnssecOK: dnssecOK, now: now),
              let bytes = cached.shaped(now: now, for: query, limit: limit, advertisedUDPSize: advertisedUDPSize)
        else { return nil }
        counters.cacheAnswers &+= 1
        if let log {
            // The shaped copy is walked once more, only when queries are logged.
            let layout = try? DNSMessageLayout(parsing: bytes, collectRecords: true)
            for line in DNSReplyLog.lines(bytes, layout: layout, name: query.question.name, type: query.question.type, verb: "cached") { log(line) }
        }
        return bytes
    }

    /// Answers `query` from the cache or upstream. `reply` is called exactly once, now or later; the
    /// client may be gone by then (the caller checks).
    func resolve(_ query: DNSQuery, limit: Int, reply: @escaping ([UInt8]) -> Void) {
        if let bytes = cachedAnswer(to: query, limit: limit) {
            reply(bytes)
            return
        }
        forward(query, limit: limit, reply: reply)
    }

    /// Asks the upstreams (the cache missed). `reply` is called exactly once, now or later.
    func forward(_ query: DNSQuery, limit: Int, reply: @escaping ([UInt8]) -> Void) {
        var servers = upstreams.servers(for: query.question.name)
        guard !servers.isEmpty else {
            counters.refusedNoServer &+= 1
            reply(DNSErrorResponse.make(to: query, rcode: .refused, advertisedUDPSize: advertisedUDPSize,
                                        extendedError: DNSErrorResponse.notReady))
            return
        }
        guard inFlight.count < forwardMax else {
            counters.refusedBusy &+= 1
            reply(DNSErrorResponse.make(to: query, rcode: .refused, advertisedUDPSize: advertisedUDPSize))
            return
        }
        if !strictOrder && !allServers, let p = preferred, let i = servers.firstIndex(where: { $0 === p }), i > 0 {
            servers.remove(at: i)
            servers.insert(p, at: 0)
        }
        counters.forwarded &+= 1
        let q = DNSPendingQuery(query: query, limit: limit, servers: servers, forwarder: self, reply: reply)
        inFlight[ObjectIdentifier(q)] = q
        q.start()
    }

    func logForwarded(_ name: DNSName, to server: DNSUpstream) {
        log?("forwarded \(DNSQueryLog.text(name)) to \(server.text)")
    }

    /// A good answer arrived: remember the server, cache the answer, log it.
    func answered(_ q: DNSPendingQuery, answer: DNSUpstreamAnswer, by server: DNSUpstream) {
        preferred = server
        cache.store(answer, question: q.query.question, dnssecOK: q.query.edns?.dnssecOK ?? false, now: nowSeconds)
        if let log {
            for line in DNSReplyLog.lines(answer.bytes, layout: answer.layout, name: q.query.question.name,
                                          type: q.query.question.type, verb: "reply") { log(line) }
        }
    }

    func completed(_ q: DNSPendingQuery) {
        inFlight[ObjectIdentifier(q)] = nil
        if inFlight.isEmpty, let idle = onIdle {
            onIdle = nil
            idle()
        }
    }

    /// Called once when the last query in flight completes (a forwarder a reload replaced: DNSService.retire).
    var onIdle: (() -> Void)?

    /// Drops every query in flight (shutdown, reconfiguration).
    public func stop() {
        for q in inFlight.values { q.abandon() }
        inFlight = [:]
        // The TLS connections go with the forwarder (they read into its buffer); the loop holds them
        // while they are registered, so they are closed here, not left to deinit.
        for u in upstreams.all {
            u.channel?.close()
            u.channel = nil
        }
    }
}
