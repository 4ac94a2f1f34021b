// One forwarded query until it is answered: which servers to try and in what order, and what counts as
// an answer. Sequential modes (strict-order, default) move to the next server at once on a timeout,
// SERVFAIL or REFUSED — without waiting for the client to resend, unlike dnsmasq; all-servers asks every
// server at once and takes the first good answer. When every server failed, the client gets SERVFAIL.
import Reactor

final class DNSPendingQuery: DNSAttemptOwner {
    let query: DNSQuery
    let limit: Int
    private let servers: [DNSUpstream]
    private var next = 0
    private var attempts: [DNSUpstreamAttempt<DNSPendingQuery>] = []
    private var reply: (([UInt8]) -> Void)?
    private unowned let forwarder: DNSForwarder
    private var finished = false

    init(query: DNSQuery, limit: Int, servers: [DNSUpstream], forwarder: DNSForwarder, reply: @escaping ([UInt8]) -> Void) {
        self.query = query
        self.limit = limit
        self.servers = servers
        self.forwarder = forwarder
        self.reply = reply
    }

    func start() {
        if forwarder.allServers {
            next = servers.count
            for s in servers where !finished { launch(s, overTCP: false) }
        } else {
            tryNext()
        }
    }

    private func tryNext() {
        guard !finished else { return }
        guard next < servers.count else {
            if attempts.isEmpty { fail() }
            return
        }
        let s = servers[next]
        next += 1
        launch(s, overTCP: false)
    }

    /// A DNS-over-TLS upstream is always asked over its stream (never UDP; a TC bit there is passed on,
    /// never retried in plaintext).
    private func launch(_ s: DNSUpstream, overTCP: Bool) {
        let overTCP = overTCP || s.tls != nil
        let a = DNSUpstreamAttempt(upstream: s, overTCP: overTCP, pending: self, loop: forwarder.loop,
                                   scratch: forwarder.receiveBuffer)
        attempts.append(a)
        s.queries &+= 1
        forwarder.logForwarded(query.question.name, to: s)
        a.start(query.packet, timeout: overTCP ? forwarder.timeout * 2 : forwarder.timeout)
    }

    /// A message arrived on an attempt's socket. Returns true when the attempt is done with (answered
    /// or failed over); false when the message was not an answer to our question (ignored). The message
    /// is read once (DNSUpstreamAnswer); everything below reads that.
    func accept(_ response: [UInt8], from a: DNSUpstreamAttempt<DNSPendingQuery>) -> Bool {
        guard !finished else {
            forwarder.counters.mismatched &+= 1
            return false
        }
        let answer = DNSUpstreamAnswer(response, collectRecords: forwarder.cache.capacity > 0 || forwarder.logsReplies)
        guard answer.matches(queryID: a.id, question: query.question) else {
            forwarder.counters.mismatched &+= 1
            return false
        }
        let rcode = answer.rcode
        if rcode == .serverFailure || rcode == .refused {
            a.upstream.failures &+= 1
            drop(a)
            if forwarder.allServers { if attempts.isEmpty { fail() } } else { tryNext() }
            return true
        }
        if answer.isTruncated && !a.overTCP {
            drop(a)
            launch(a.upstream, overTCP: true)  // the full answer, over TCP from the same server
            return true
        }
        a.upstream.answers &+= 1
        a.upstream.latency.record(nanoseconds: forwarder.loop.now &- a.startedAt)
        forwarder.answered(self, answer: answer, by: a.upstream)
        guard let shaped = answer.shaped(for: query, limit: limit, advertisedUDPSize: forwarder.advertisedUDPSize) else {
            fail()
            return true
        }
        finish(with: shaped)
        return true
    }

    func attemptFailed(_ a: DNSUpstreamAttempt<DNSPendingQuery>, _ why: DNSAttemptFailure) {
        guard !finished else { return }
        switch why {
        case .timeout: a.upstream.timeouts &+= 1
        case .socket, .closed, .tls: a.upstream.failures &+= 1
        }
        drop(a)
        if forwarder.allServers {
            if attempts.isEmpty { fail() }
        } else {
            tryNext()
        }
    }

    private func drop(_ a: DNSUpstreamAttempt<DNSPendingQuery>) {
        a.close()
        attempts.removeAll { $0 === a }
    }

    private func fail() {
        forwarder.counters.servfail &+= 1
        finish(with: DNSErrorResponse.make(to: query, rcode: .serverFailure, advertisedUDPSize: forwarder.advertisedUDPSize))
    }

    private func finish(with bytes: [UInt8]) {
        guard !finished else { return }
        finished = true
        for a in attempts { a.close() }
        attempts = []
        let r = reply
        reply = nil
        forwarder.completed(self)
        r?(bytes)
    }

    /// Ends the query without an answer (shutdown).
    func abandon() {
        finished = true
        for a in attempts { a.close() }
        attempts = []
        reply = nil
    }
}
