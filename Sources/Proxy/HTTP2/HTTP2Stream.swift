// One HTTP/2 stream as the client Transport of an ordinary HTTPSession: the session reads the request as
// HTTP/1.1 bytes (a head made from the stream's fields, then the DATA payload — chunk-framed when no
// content-length was given, as Traefik sends such a body on) and writes its response as HTTP/1.1 bytes,
// which become HEADERS and DATA (HTTP2Stream+Response). So an h2 request walks exactly the path an
// HTTP/1.1 request walks (routing, middlewares, internal services, upstream pool, access log, metrics) —
// one pipeline, two framings.
//
// Flow control both ways: the stream's receive window opens again only as the session reads the bytes on
// (`read` → nghttp2_session_consume), so an upload waits in the client, not in stoep; a response is taken
// from the session only up to `responseHighWater` ahead of what nghttp2 sent, so a slow client of one
// stream makes only that stream's backend wait (its session stops reading it; TCP closes its window).
import CNGHTTP2
import HTTP
import Reactor

final class HTTP2Stream: HTTP2StreamEnd, Transport {
    let id: Int32
    unowned let connection: HTTP2Connection
    /// The stream's request, once its head is complete.
    var session: HTTPSession?

    // The request, as the session reads it: the synthesised head, then the body.
    var head = RequestHeadBuilder()
    var requestIn: [UInt8] = []
    var requestRead = 0
    /// DATA payload bytes in `requestIn` not yet given back to the client's windows.
    var unconsumed = 0
    var headReady = false
    /// The request's body goes on chunk-framed (no content-length, and not ended with its HEADERS).
    var chunked = false
    /// The request's trailer section as field lines ("name: value\r\n"…).
    var requestTrailers: [UInt8] = []
    /// END_STREAM arrived (and, when chunked, the last chunk is queued).
    var requestDone = false
    /// What to tell the session when it runs next.
    var pendingEvents: Readiness = []

    // The response, as the session writes it (HTTP2Stream+Response).
    /// The final head was submitted: what follows is the body.
    var responseHeadDone = false
    var responseHead: [UInt8] = []
    var unframer = BodyUnframer(.none)
    var requestMethod = HTTPMethod.get
    /// The response's payload (and trailer section) waiting for DATA frames.
    var out = HTTP2OutgoingBody()
    /// The session found the stream full (`write` said wouldBlock): tell it when there is room again.
    var writerBlocked = false
    /// The session is done with the stream (shutdownWrite or close).
    var writerDone = false
    /// nghttp2 closed the stream (both ends done, a reset, the connection's end).
    var libraryClosed = false
    var fd: FileDescriptor { .invalid }
    var canSplice: Bool { false }

    /// Bytes of response body held ahead of nghttp2: the stream's whole buffer, and the mark below which a
    /// blocked session is asked for more.
    static let responseHighWater = 64 * 1024
    static let responseLowWater = 16 * 1024

    /// When its HEADERS arrived (the loop's clock), for `show conns`.
    let openedAt: UInt64

    init(id: Int32, connection: HTTP2Connection) {
        self.id = id
        self.connection = connection
        openedAt = connection.proxy.loop.now
        super.init()
    }

    var nghttp2: OpaquePointer? { connection.session }

    // MARK: what the callbacks record

    func addField(_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) {
        head.add(name, value)
    }

    /// One field of the request's trailer section (nghttp2 refused pseudo-fields and §8.2 violations
    /// there). Bounded as the head is: past the header-list size the section is dropped.
    func addTrailer(_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) {
        guard requestTrailers.count + name.count + value.count + 4 <= Int(HTTP2Settings.maxHeaderListSize) else {
            requestTrailers = []
            return
        }
        requestTrailers.append(contentsOf: name)
        requestTrailers += RequestHeadBuilder.colon
        requestTrailers.append(contentsOf: value)
        requestTrailers += BodyForwarder.crlf
    }

    /// The request's fields are all there: the session may start (once nghttp2 returned). `endStream`: the
    /// HEADERS frame also ended the request (no body).
    func headComplete(endStream: Bool) {
        headReady = true
        chunked = head.wantsChunkedBody(endStream: endStream)
        connection.wake(self)
    }

    /// END_STREAM from the client.
    func requestEnded() {
        guard !requestDone else { return }
        requestDone = true
        if chunked {
            // The last chunk carries the request's trailers (Traefik 3.7 announces them with `Trailer` but
            // sends none: a difference, docs/proxy.md).
            if !requestTrailers.isEmpty {
                requestIn += BodyForwarder.lastChunkSize
                requestIn += requestTrailers
                requestIn += BodyForwarder.crlf
            } else {
                requestIn += BodyForwarder.lastChunk
            }
        }
        requestTrailers = []
        pendingEvents.insert(.readable)
        connection.wake(self)
    }

    override func dataArrived(_ data: UnsafeRawBufferPointer) {
        guard session != nil || headReady, !writerDone else {
            nghttp2_session_consume(nghttp2, id, data.count)
            return
        }
        if requestRead > 32 * 1024 && requestRead * 2 > requestIn.count {
            requestIn.removeFirst(requestRead)
            requestRead = 0
        }
        if chunked {
            BodyForwarder.appendChunkSize(data.count, to: &requestIn)
            requestIn.append(contentsOf: data)
            requestIn += BodyForwarder.crlf
        } else {
            requestIn.append(contentsOf: data)
        }
        unconsumed += data.count
        pendingEvents.insert(.readable)
        connection.wake(self)
    }

    override func closedByLibrary(errorCode: UInt32) {
        libraryClosed = true
        if errorCode != NGHTTP2_NO_ERROR.rawValue || !out.ended { pendingEvents.insert(.error) }
        connection.wake(self)
    }

    /// The connection ends: the session (if any) ends with it, at once.
    func connectionClosed() {
        libraryClosed = true
        if let s = session, !s.closed { s.close() }
        session = nil
    }

    // MARK: the session's side

    /// Runs after nghttp2 returned: starts the session for a complete head, passes readiness on, ends the
    /// session of a stream nghttp2 closed.
    override func deliver() {
        if libraryClosed {
            giveBackWindow()
            connection.streamEnded(self)
            if let s = session, !s.closed { s.close() }
            session = nil
            return
        }
        if session == nil {
            guard headReady else { return }
            startSession()
            return
        }
        let events = pendingEvents
        pendingEvents = []
        if !events.isEmpty, let s = session, !s.closed { s.ready(fd: .invalid, events) }
    }

    private func startSession() {
        switch head.build(chunked: chunked) {
        case .tooLarge:
            respondHere(status: 431)
        case .refused(let status):
            respondHere(status: status)
        case .built(let bytes, let method):
            requestMethod = method
            // Body bytes that arrived with the head sit behind it.
            requestIn = bytes + requestIn[requestRead...]
            requestRead = 0
            let s = HTTPSession(transport: self, isTLS: connection.isTLS, peer: connection.peer, entryPoint: connection.entryPoint)
            session = s
            s.clientReadable = true
            s.startOnStream()
            s.drive()
        }
        head = RequestHeadBuilder()  // the fields are in the bytes now
    }

    /// Answers the stream without a session (a head too large, CONNECT): a bare status, END_STREAM.
    private func respondHere(status: Int) {
        writerDone = true
        connection.entryPoint.counters.badRequests &+= 1
        submitBare(status: status)
    }

    /// The client's windows get back what the session will never read.
    private func giveBackWindow() {
        if unconsumed > 0, let s = nghttp2 {
            nghttp2_session_consume_connection(s, unconsumed)
            unconsumed = 0
        }
    }

    // MARK: Transport

    func readDrained(got: Int, asked: Int) -> Bool { requestRead == requestIn.count }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        if writerDone { return .eof }
        let left = requestIn.count - requestRead
        if left == 0 {
            if requestDone || libraryClosed { return .eof }
            return .wouldBlock
        }
        let n = min(left, buffer.count)
        requestIn.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[requestRead..<requestRead + n])) }
        requestRead += n
        if requestRead == requestIn.count {
            requestIn.removeAll(keepingCapacity: requestIn.capacity <= 64 * 1024)
            requestRead = 0
        }
        // The window opens by what the session took (head and chunk lines count as payload here: a few
        // bytes early, never more than was received).
        let give = min(n, unconsumed)
        if give > 0, let s = nghttp2, !libraryClosed {
            unconsumed -= give
            nghttp2_session_consume(s, id, give)
            connection.needsService()
        }
        return .bytes(n)
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        if libraryClosed { return .error(.brokenPipe) }
        let room = HTTP2Stream.responseHighWater - out.buffered
        if room <= 0 {
            writerBlocked = true
            return .wouldBlock
        }
        let n = acceptResponse(bytes, room: room)
        if n < 0 { return .error(.protocolError) }
        // Nothing may follow a stream's response; a writer that tries would otherwise spin on zero-byte writes.
        if n == 0, !bytes.isEmpty { return .error(.brokenPipe) }
        connection.needsService()
        return .bytes(n)
    }

    /// The session finished its response (a lingering close after an error answer, an HTTP/1.0-style
    /// body that ends with the connection).
    func shutdownWrite() {
        guard !writerDone else { return }
        writerDone = true
        responseEndedBySession()
        connection.needsService()
    }

    /// The session ended: a response left unfinished resets the stream.
    func close() {
        session = nil
        if !writerDone {
            writerDone = true
            responseEndedBySession()
        }
        if !libraryClosed, !out.ended, let s = nghttp2 {
            nghttp2_submit_rst_stream(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_INTERNAL_ERROR.rawValue)
        }
        connection.needsService()
    }

    // MARK: nghttp2's data source

    /// Copies up to `max` body bytes for a DATA frame; EOF at the end (with the trailers, when the backend
    /// sent some: gRPC's `grpc-status`), DEFERRED when none wait yet.
    override func takeBody(into buf: UnsafeMutablePointer<UInt8>, max: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        let n = out.take(into: buf, max: max, flags: flags) { HTTP2OutgoingBody.submitTrailers($0, nghttp2, id) }
        if writerBlocked && out.buffered < HTTP2Stream.responseLowWater {
            writerBlocked = false
            pendingEvents.insert(.writable)
            connection.wake(self)
        }
        return n
    }

    /// New body bytes (or the end) for nghttp2 after it was told to wait.
    func bodyQueued() {
        guard !libraryClosed else { return }
        _ = out.resume(nghttp2, id)
    }
}
