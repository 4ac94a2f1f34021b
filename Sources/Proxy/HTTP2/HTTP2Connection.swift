// One client connection speaking HTTP/2 (ALPN h2 over TLS, or h2c with prior knowledge): nghttp2 does the
// framing, HPACK, flow control and the protocol's checks; it does no I/O. This loop citizen reads what the
// transport has into the loop's scratch area and feeds it to nghttp2 (`nghttp2_session_mem_recv`), then
// writes what nghttp2 wants sent (`nghttp2_session_mem_send`) straight from nghttp2's buffer while the
// socket takes it — only an unsent tail is copied, and nghttp2 is asked for more only once the socket took
// everything, so a slow client holds back its own DATA and nothing else.
//
// Each stream is an ordinary request: an HTTP2Stream presents it to an HTTPSession as a Transport (the
// request as HTTP/1.1 bytes in, the response as HTTP/1.1 bytes out), so routing, middlewares, internal
// services, the upstream pool, the access log and the metrics are the ones HTTP/1.1 uses (docs/proxy.md).
//
// Re-entrancy: nghttp2's callbacks only record what happened (a stream's head is complete, DATA arrived,
// a stream closed, a DATA frame drained a stream's buffer) and queue the stream (`wake`); the sessions run
// after nghttp2 returned (`runWakes`), so no session ever runs inside an nghttp2 call. A session that
// writes while the connection is not being serviced (its backend's bytes arrived) asks for one service
// on the next loop turn (`needsService`).
import CNGHTTP2
import JSON
import Reactor
import Rules
import Stats

/// Where HTTP2Connection.flush gathers nghttp2's frames before a write: one area for the loop's single thread
/// (used only inside flush, never across a turn), so no connection holds a write buffer while idle. 32 KiB:
/// `gatherBytes` plus one more frame below `directBytes`.
nonisolated(unsafe) private let frameScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 32 * 1024, alignment: 64)

final class HTTP2Connection: IOHandler {
    let transport: Transport
    let isTLS: Bool
    let peer: PeerAddress
    unowned let entryPoint: HTTPEntryPoint
    var proxy: HTTPProxy { entryPoint.proxy }
    /// nghttp2's server session (nil once closed).
    private(set) var session: OpaquePointer?
    private var token: Token?
    private var readable = true, writable = true
    /// The unsent tail of what nghttp2 produced (copied only when the socket did not take it all).
    private var out: [UInt8] = []
    private var outSent = 0
    /// Streams with something to deliver to their session, in arrival order.
    private var wakes: [HTTP2Stream] = []
    private(set) var streams: [Int32: HTTP2Stream] = [:]
    private var timer: Timer?
    private var serviceTimer: Timer?
    private var inService = false
    private(set) var closed = false
    private var peerClosed = false
    /// A GOAWAY was submitted (shutdown, idle timeout): the connection ends when its streams have.
    private(set) var goingAway = false
    var lastActivity: UInt64
    /// Rapid-reset bound (CVE-2023-44487): a token bucket of RST_STREAMs the client may send.
    private var resetTokens = HTTP2Connection.resetBurst
    private var resetRefilledAt: UInt64
    var counters: HTTPEntryPoint.Counters { entryPoint.counters }

    /// RST_STREAMs a client may send at once, and how many more per second; past them the connection ends
    /// with GOAWAY ENHANCE_YOUR_CALM. A browser cancels a few streams per navigation; an attack sends
    /// thousands (nghttp2's own limiter, 1000 + 33/s, stays behind this one as a backstop).
    static let resetBurst = 200.0
    static let resetRate = 20.0

    init(transport: Transport, isTLS: Bool, peer: PeerAddress, entryPoint: HTTPEntryPoint) {
        self.transport = transport
        self.isTLS = isTLS
        self.peer = peer
        self.entryPoint = entryPoint
        lastActivity = entryPoint.proxy.loop.now
        resetRefilledAt = lastActivity
    }

    /// Creates the nghttp2 session, queues our SETTINGS, takes over (or makes) the socket's registration,
    /// and feeds `seed` (bytes an HTTP/1.1 session read before it saw the preface).
    func start(adopting existing: Token?, seed: [UInt8]) throws {
        session = HTTP2Callbacks.makeSession(for: self, settings: entryPoint.http2)
        guard session != nil else { throw SystemError("nghttp2_session_server_new2", errno: .noMemory) }
        if let existing, proxy.loop.handOver(existing, to: self) {
            token = existing
        } else {
            token = try proxy.loop.register(fd: transport.fd, handler: self)
        }
        counters.h2Connections &+= 1
        let t = Timer { [unowned self] now in self.timerFired(now) }
        timer = t
        proxy.loop.schedule(t, after: entryPoint.idleTimeout)
        inService = true
        if !seed.isEmpty { feed(seed) }
        inService = false
        service()
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        if events.contains(.readable) || !events.isDisjoint(with: [.readHangup, .error]) { readable = true }
        if events.contains(.writable) { writable = true }
        lastActivity = proxy.loop.now
        service()
    }

    /// Reads and feeds, runs the sessions that have news, writes; repeats while that makes progress.
    func service() {
        guard !closed, !inService else { return }
        inService = true
        var rounds = 0, busy = true
        while !closed && busy && rounds < 64 {
            rounds += 1
            let fed = readAndFeed()
            let woke = runWakes()
            let wrote = flush()
            busy = fed || woke || wrote
            if busy { lastActivity = proxy.loop.now }
        }
        inService = false
        if closed { return }
        // 64 rounds of progress (a long download to a fast client): yield to the other connections and go on
        // next turn; no readiness report would come for bytes nghttp2 still has to send.
        if busy { return needsService() }
        finishIfDone()
    }

    /// Asks for a service on the next loop turn (a session wrote while the connection was not serviced).
    func needsService() {
        guard !closed, !inService else { return }
        let t = serviceTimer ?? Timer { [unowned self] _ in self.service() }
        serviceTimer = t
        if !t.isScheduled { proxy.loop.schedule(t, after: 0) }
    }

    private func readAndFeed() -> Bool {
        var progressed = false
        while readable && !closed && !peerClosed {
            let r = transport.read(into: readScratch)
            switch r {
            case .bytes(let n):
                progressed = true
                if transport.readDrained(got: n, asked: readScratch.count) { readable = false }
                if !feed(UnsafeRawBufferPointer(rebasing: readScratch[0..<n])) { return true }
            case .wouldBlock:
                readable = false
            case .eof:
                peerClosed = true
                readable = false
                progressed = true
            case .error:
                close()
                return false
            }
        }
        return progressed
    }

    /// Hands bytes to nghttp2. False when nghttp2 gave up on the connection (it queued a GOAWAY when the
    /// protocol allows one; what it wants sent still goes out before the close).
    @discardableResult
    private func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let s = session else { return false }
        let rv = nghttp2_session_mem_recv(s, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        if rv < 0 {
            // A bad preface, a flood (FLOODED), a callback failure: nothing more is read.
            counters.h2ProtocolErrors &+= 1
            peerClosed = true
            readable = false
            return false
        }
        return true
    }

    private func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = feed($0) }
    }

    /// Queues `stream` for delivery to its session after nghttp2 returned.
    func wake(_ stream: HTTP2Stream) {
        guard !stream.queued else { return }
        stream.queued = true
        wakes.append(stream)
        if !inService { needsService() }
    }

    /// Delivers what the callbacks recorded to the streams' sessions. True when any ran.
    private func runWakes() -> Bool {
        guard !wakes.isEmpty else { return false }
        var i = 0
        while i < wakes.count {  // a session may wake another stream (none does today), appended here
            let s = wakes[i]
            s.queued = false
            s.deliver()
            if closed { return true }
            i += 1
        }
        wakes.removeAll(keepingCapacity: true)
        return true
    }

    /// Writes the unsent tail, then what nghttp2 produces, while the socket takes it. True when bytes moved.
    /// nghttp2 hands out one frame per `mem_send`; small frames are gathered in `frameScratch` (up to
    /// `gatherBytes`) and written together, so a small response (HEADERS, then DATA) costs one write(2) and
    /// one TLS record, not two each, and the responses of streams that finished in the same turn share them.
    /// A frame of `directBytes` or more (a full DATA frame) is written straight from nghttp2's buffer, as
    /// before: it is worth its own write, and copying it would cost more than the write saved.
    private func flush() -> Bool {
        guard let s = session else { return false }
        var progressed = false
        while writable {
            if outSent < out.count {
                switch out.withUnsafeBytes({ transport.write(UnsafeRawBufferPointer(rebasing: $0[outSent...])) }) {
                case .bytes(let n): outSent += n; progressed = true; continue
                case .wouldBlock: writable = false; return progressed
                case .eof, .error: close(); return progressed
                }
            }
            out.removeAll(keepingCapacity: out.capacity <= 64 * 1024)
            outSent = 0
            var gathered = 0
            // A large frame: written on its own after the gathered ones, straight from nghttp2's buffer
            // (valid until the next mem_send, which comes only after it was written or copied to `out`).
            var large: UnsafeRawBufferPointer? = nil
            while gathered < HTTP2Connection.gatherBytes {
                var data: UnsafePointer<UInt8>? = nil
                let n = nghttp2_session_mem_send(s, &data)
                if n < 0 { close(); return progressed }
                guard n > 0, let data else { break }
                if n >= HTTP2Connection.directBytes || gathered + n > frameScratch.count {
                    large = UnsafeRawBufferPointer(start: data, count: n)
                    break
                }
                (frameScratch.baseAddress! + gathered).copyMemory(from: data, byteCount: n)
                gathered += n
            }
            if gathered == 0 && large == nil { break }
            progressed = true
            if gathered > 0 && !send(UnsafeRawBufferPointer(rebasing: frameScratch[0..<gathered])) {
                if let large, !closed { out.append(contentsOf: large) }
                return progressed
            }
            if let large {
                if outSent < out.count { out.append(contentsOf: large); continue }  // a partial write: behind it
                if !send(large) { return progressed }
            }
        }
        return progressed
    }

    /// Writes `bytes`, keeping in `out` what the socket did not take. False when the socket stopped taking
    /// bytes (`writable` is false now) or failed (the connection is closed).
    private func send(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch transport.write(bytes) {
        case .bytes(let k) where k == bytes.count: return true
        case .bytes(let k): out.append(contentsOf: bytes[k...]); return true  // the loop writes the tail next
        case .wouldBlock:
            writable = false
            out.append(contentsOf: bytes)
            return false
        case .eof, .error: close(); return false
        }
    }

    /// Bytes of small frames gathered before a write (a TLS record holds 16 KiB), and the size from which a
    /// frame is written without a copy.
    static let gatherBytes = 16 * 1024
    static let directBytes = 8 * 1024

    /// Ends the connection when nghttp2 has nothing more to read or write (after a GOAWAY, or the client's
    /// close), or when a GOAWAY'd connection has no stream left.
    private func finishIfDone() {
        guard let s = session, !closed else { return }
        let unsent = outSent < out.count
        if unsent { return }
        if nghttp2_session_want_read(s) == 0 && nghttp2_session_want_write(s) == 0 { return close() }
        if peerClosed && nghttp2_session_want_write(s) == 0 { return close() }
        if goingAway && streams.isEmpty && nghttp2_session_want_write(s) == 0 { return close() }
    }

    // MARK: lifecycle

    /// Graceful end (shutdown, idle timeout): GOAWAY NO_ERROR with the last stream id nghttp2 processed;
    /// streams in flight finish, new ones are refused; the connection closes when none is left.
    func goAway() {
        guard let s = session, !closed, !goingAway else { return }
        goingAway = true
        nghttp2_submit_goaway(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(s),
                              NGHTTP2_NO_ERROR.rawValue, nil, 0)
        if inService { return }
        service()
    }

    /// Whether no stream is in flight (graceful shutdown closes such connections at once).
    var isIdle: Bool { streams.isEmpty }

    private func timerFired(_ now: UInt64) {
        guard !closed, let t = timer else { return }
        // idleTimeout without a byte either way (as an HTTP/1.1 connection): GOAWAY when no stream is open, then
        // the close; with streams open (a client that stalled inside a HEADERS, a backend silent that long)
        // the connection closes at once, as an HTTP/1.1 connection in the middle of an exchange would.
        if now &- lastActivity >= entryPoint.idleTimeout {
            if goingAway || !streams.isEmpty { return close() }
            goAway()
            if !closed { proxy.loop.schedule(t, after: 1_000_000_000) }
            return
        }
        proxy.loop.schedule(t, at: max(now &+ 1_000_000, lastActivity &+ entryPoint.idleTimeout))
    }

    /// A stream's bytes were sent on or its response ended; counts as activity.
    func streamEnded(_ stream: HTTP2Stream) {
        if streams.removeValue(forKey: stream.id) != nil { counters.h2StreamsOpen -= 1 }
        lastActivity = proxy.loop.now
    }

    func streamStarted(_ stream: HTTP2Stream) {
        streams[stream.id] = stream
        counters.h2Streams &+= 1
        counters.h2StreamsOpen += 1
    }

    /// Counts one RST_STREAM from the client; past the bound the connection ends (ENHANCE_YOUR_CALM).
    func resetReceived() {
        counters.h2ResetsReceived &+= 1
        let now = proxy.loop.now
        resetTokens = min(HTTP2Connection.resetBurst,
                          resetTokens + Double(now &- resetRefilledAt) / 1e9 * HTTP2Connection.resetRate)
        resetRefilledAt = now
        resetTokens -= 1
        if resetTokens < 0, let s = session, !goingAway {
            goingAway = true
            counters.h2RapidResets &+= 1
            nghttp2_session_terminate_session(s, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let t = timer { proxy.loop.cancel(t) }
        timer = nil
        if let t = serviceTimer { proxy.loop.cancel(t) }
        serviceTimer = nil
        counters.h2StreamsOpen -= Int64(streams.count)
        let open = Array(streams.values)
        streams.removeAll()
        for s in open { s.connectionClosed() }
        wakes.removeAll()
        if let s = session { nghttp2_session_del(s) }
        session = nil
        if let t = token { proxy.loop.deregister(t) }
        token = nil
        transport.close()
        entryPoint.ended(self)
    }
}
