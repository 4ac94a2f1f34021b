// The PROXY protocol phase of an opening connection (entry point `proxyProtocol`): the header is looked at
// with MSG_PEEK until ProxyProtocolReader decides, then exactly its bytes are consumed, so what follows stays
// in the socket for the peek, the TLS handshake, the HTTP session or the relay, untouched. As Traefik 3.7
// (go-proxyproto v0.12.0 behind server_entrypoint_tcp.go buildProxyProtocolListener):
// - a trusted peer's header names the client; an untrusted peer's header is consumed and ignored;
// - a connection without a header goes on as it is (trusted or not);
// - a malformed header drops the connection;
// - waiting is bounded by the entry point's readTimeout: a peer that sent no header by then goes on without
//   one (Go's header-peek timeout means "no PROXY header"), one stuck inside a v2 header is dropped.
import Reactor

extension ConnectionOpening {
    /// Traefik passes readTimeout (default 60 s) as the header deadline, and none at all when it is 0;
    /// stoep keeps a bound even then (the peek's 10 s), so a silent peer never holds a socket forever.
    static func proxyHeaderDeadline(readTimeout: UInt64) -> UInt64 {
        readTimeout >= UInt64.max / 4 ? peekDeadline : readTimeout
    }

    /// `hungUp`: the peer finished sending (or the socket failed): a header still incomplete never will be,
    /// and the connection ends now rather than at the deadline (go-proxyproto's read meets EOF).
    func readProxyHeader(trusted: Bool, hungUp: Bool = false) {
        var buf = [UInt8](repeating: 0, count: ProxyProtocolReader.maximumLength)
        let r = buf.withUnsafeMutableBytes { client.peek(into: $0) }
        guard case .bytes(let n) = r else {
            if r == .wouldBlock { return }
            // EOF or an error before any decision: nothing to serve.
            return abort()
        }
        let read = ProxyProtocolReader.read(Array(buf[0..<n]))
        if read == .needMore && hungUp {
            entryPoint.counters.proxyProtocolMalformed &+= 1
            return abort()
        }
        proxyHeaderDecided(read, trusted: trusted, peeked: n)
    }

    /// `peeked`: how many bytes were looked at (a malformed header's are read before the close, as Go's
    /// buffered reader had taken them: the client then sees a FIN, not a reset for unread bytes).
    private func proxyHeaderDecided(_ read: ProxyProtocolRead, trusted: Bool, peeked: Int) {
        let stats = entryPoint.counters
        switch read {
        case .needMore:
            return
        case .malformed(let why):
            stats.proxyProtocolMalformed &+= 1
            entryPoint.proxy.loop.log.debug("entry point \(entryPoint.name): PROXY protocol header from \(peer.text) dropped: \(why)")
            var discarded = [UInt8](repeating: 0, count: peeked)
            _ = discarded.withUnsafeMutableBytes { client.read(into: $0) }
            return abort()
        case .absent:
            stats.proxyProtocolAbsent &+= 1
        case .header(let length, let source, let destination):
            var consumed = [UInt8](repeating: 0, count: length)
            guard case .bytes(length) = consumed.withUnsafeMutableBytes({ client.read(into: $0) }) else { return abort() }
            if !trusted {
                stats.proxyProtocolIgnored &+= 1
            } else {
                stats.proxyProtocolUsed &+= 1
                if let source { peer = PeerAddress(remote: source, local: destination) }
            }
        }
        proceedAfterProxyHeader()
    }

    /// The deadline passed while waiting for a header.
    func proxyHeaderTimedOut() {
        guard !done, case .proxyHeader = phase else { return }
        var buf = [UInt8](repeating: 0, count: ProxyProtocolReader.v2FixedLength)
        // Still undecided with 12 bytes or more: a v2 signature whose header is short of its declared length;
        // go-proxyproto's read of it fails and the connection ends. Fewer: its peek timed out — no header.
        if case .bytes(let n) = buf.withUnsafeMutableBytes({ client.peek(into: $0) }), n >= ProxyProtocolReader.v2Signature.count {
            entryPoint.counters.proxyProtocolMalformed &+= 1
            return abort()
        }
        entryPoint.counters.proxyProtocolAbsent &+= 1
        proceedAfterProxyHeader()
    }

    /// What `HTTPEntryPoint.accepted` does with a connection, now with the real client's address.
    private func proceedAfterProxyHeader() {
        if entryPoint.needsFirstBytes(tcpRoutes) { return beginPeek() }
        if let route = tcpRoutes.matchBeforeReading(clientIP: peer.ip) { return hand(to: .tcp(client, route)) }
        hand(to: .http(client, isTLS: false))
    }
}
