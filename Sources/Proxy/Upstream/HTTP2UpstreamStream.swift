// One request to an HTTP/2 backend, presented to its HTTPSession as the upstream Transport — the mirror of
// HTTP2Stream on the client side. The session writes the request as HTTP/1.1 bytes (the head HeadRewriter
// made, then the body in its framing, trailers in the last chunk): the head becomes HEADERS (`:authority`
// from Host, `:scheme` http for h2c and https over TLS, connection-specific fields left out, `te` kept only
// as `trailers`, as Go's transport sends it), the body is unframed into DATA, a chunked body's trailer
// section a trailing HEADERS. The session reads the response as HTTP/1.1 bytes: a head made from the
// response's HEADERS (names in Go's canonical case, as Traefik writes them to HTTP/1.1 clients), the
// body as it came when a content-length was given, chunked otherwise, the trailers in the last chunk — so
// gRPC's `grpc-status` reaches an HTTP/1.1 chunked client as a trailer and an h2 client as a trailing
// HEADERS (HTTP2Stream). A trailers-only answer (HEADERS with END_STREAM) becomes a head with
// `Content-Length: 0` and its fields, as Go's transport hands it to Traefik.
//
// Failures read as errors the session maps as Traefik does: a connect that failed → ECONNREFUSED (502), one
// that timed out → ETIMEDOUT (504), the server's RST_STREAM or the connection lost once established →
// EPROTO (500: Go's HTTP/2 transport returns a stream or connection error, not a network error).
//
// Flow control both ways: the stream's receive window opens only as the session reads (`read` →
// nghttp2_session_consume), so a slow client of this request makes only this stream's backend wait; the
// session's writes are taken only `requestHighWater` ahead of what nghttp2 sent, past that the session
// stops reading its client.
import CNGHTTP2
import HTTP
import Reactor

final class HTTP2UpstreamStream: HTTP2StreamEnd, Transport {
    let connection: HTTP2UpstreamConnection
    /// nghttp2's stream id (-1 until the request head was submitted).
    private(set) var id: Int32 = -1
    /// The session's side of the stream: readiness goes there (UpstreamConnection.ready).
    weak var owner: UpstreamConnection?
    private var pendingEvents: Readiness = []
    var fd: FileDescriptor { .invalid }
    var canSplice: Bool { false }

    // The request, as the session writes it.
    private var headIn: [UInt8] = []
    private var unframer = BodyUnframer(.none)
    /// The request's payload (and trailer section) waiting for DATA frames.
    private var out = HTTP2OutgoingBody()
    private var writerBlocked = false
    private var isHeadRequest = false

    // The response, as the session reads it.
    private var responseIn: [UInt8] = []
    private var responseRead = 0
    /// DATA payload in `responseIn` not yet given back to the server's windows.
    private var unconsumed = 0
    /// The field lines of the HEADERS being received, and its `:status` (nil: a trailer section).
    private var fields: [UInt8] = []
    private var status: Int?
    private var hasContentLength = false
    private var headDone = false
    private var chunked = false
    private(set) var responseEnded = false
    private var failure: Errno?
    private var libraryClosed = false
    private var released = false

    /// Request payload held ahead of nghttp2; below the low mark a blocked session is asked for more.
    static let requestHighWater = 64 * 1024
    static let requestLowWater = 16 * 1024
    /// A response's field section past this (as RFC 9113 counts it) fails the request (Go's transport
    /// limits it to 1 MiB by default too: MaxResponseHeaderBytes).
    static let maxFieldBytes = 1 << 20

    init(connection: HTTP2UpstreamConnection) {
        self.connection = connection
        super.init()
    }

    private var session: OpaquePointer? { connection.session }

    // MARK: the session's side (Transport)

    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        if released { return .error(.brokenPipe) }
        // A failed stream: the read side reports it (500, a retry, or the client's reset), not this write.
        if failure != nil { return .wouldBlock }
        // The server answered in full and closed the stream before reading the whole request (a gRPC
        // server ending a client stream early, RST_STREAM NO_ERROR as RFC 9113 §8.1 allows): the rest of
        // the request is not wanted; the session forwards the answer and ends the exchange.
        if libraryClosed { return .bytes(bytes.count) }
        var taken = 0
        if id < 0 {
            let before = headIn.count
            headIn.append(contentsOf: bytes)
            switch HTTPRequestHead.parse(headIn, limits: HTTPSession.limits) {
            case .incomplete: return .bytes(bytes.count)
            case .error: return .error(.protocolError)
            case .complete(let head, let length):
                taken = length - before
                guard submit(head, headIn) else { return .error(.protocolError) }
                headIn = []
            }
        }
        if taken < bytes.count {
            let room = HTTP2UpstreamStream.requestHighWater - out.buffered
            if room <= 0 {
                writerBlocked = true
                return taken > 0 ? .bytes(taken) : .wouldBlock
            }
            let n = unframer.accept(UnsafeRawBufferPointer(rebasing: bytes[taken...]), room: room, into: &out.bytes)
            if n < 0 { return .error(.protocolError) }
            if n == 0 && taken == 0 { return .error(.brokenPipe) }  // nothing may follow the request's body
            taken += n
            if unframer.isDone && !out.ended {
                out.ended = true
                out.trailers = unframer.trailers
            }
            _ = out.resume(session, id)
        }
        connection.needsService()
        return .bytes(taken)
    }

    func readDrained(got: Int, asked: Int) -> Bool { responseRead == responseIn.count }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        let left = responseIn.count - responseRead
        if left == 0 {
            if responseEnded { return .eof }
            if let f = failure { return .error(f) }
            return .wouldBlock
        }
        let n = min(left, buffer.count)
        responseIn.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[responseRead..<responseRead + n])) }
        responseRead += n
        if responseRead == responseIn.count {
            responseIn.removeAll(keepingCapacity: responseIn.capacity <= 64 * 1024)
            responseRead = 0
        } else if responseRead > 32 * 1024 && responseRead * 2 > responseIn.count {
            responseIn.removeFirst(responseRead)
            responseRead = 0
        }
        // The windows open by what the session took (head and chunk lines count as payload here: a few
        // bytes early, never more than was received).
        let give = min(n, unconsumed)
        if give > 0, let s = session {
            unconsumed -= give
            nghttp2_session_consume(s, id, give)  // a closed stream: the connection's window only
            connection.needsService()
        }
        return .bytes(n)
    }

    /// The session ended its request early (cannot happen with a framed body; handled as its end).
    func shutdownWrite() {
        guard id > 0, !out.ended else { return }
        unframer.writerEnded()
        out.ended = true
        _ = out.resume(session, id)
        connection.needsService()
    }

    /// The session is done with the stream: one still open is cancelled (RST_STREAM CANCEL).
    func close() {
        guard !released else { return }
        released = true
        owner = nil
        if id > 0, !libraryClosed, let s = session {
            // nghttp2 must not call back into a stream that is about to go (its pointer is unretained).
            nghttp2_session_set_stream_user_data(s, id, nil)
            nghttp2_submit_rst_stream(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_CANCEL.rawValue)
        }
        if unconsumed > 0, let s = session {
            nghttp2_session_consume_connection(s, unconsumed)
            unconsumed = 0
        }
        connection.streamReleased(self)
        connection.needsService()
    }

    // MARK: the request head

    /// Submits the request's HEADERS (and its data source when a body follows). False when nghttp2 refused.
    private func submit(_ head: HTTPRequestHead, _ bytes: [UInt8]) -> Bool {
        guard let s = session else { return false }
        isHeadRequest = head.knownMethod == .head
        var block = HTTP2FieldBlock()
        block.add(":method", String(decoding: bytes[head.method], as: UTF8.self))
        block.add(":scheme", connection.server.tls == nil ? "http" : "https")
        let authority = head.host.map { String(decoding: bytes[$0], as: UTF8.self) } ?? connection.server.hostHeader
        block.add(":authority", authority)
        block.add(":path", String(decoding: bytes[head.target], as: UTF8.self))
        for f in head.fields {
            let name = bytes[f.name]
            if isNamed(f, "host", in: bytes) || HTTP2FieldBlock.isConnectionSpecific(name) { continue }
            if isNamed(f, "te", in: bytes) {
                // RFC 9113 §8.2.2: `te` only as "trailers" (gRPC servers require it).
                if listContains(bytes, f.value, "trailers") { block.add("te", "trailers") }
                continue
            }
            block.add(name, bytes[f.value])
        }
        unframer = BodyUnframer(head.framing)
        let ud = Unmanaged.passUnretained(self).toOpaque()
        let rv: Int32
        if unframer.isDone {
            out.ended = true
            rv = block.withNV { nghttp2_submit_request(s, nil, $0, $1, nil, ud) }
        } else {
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: HTTP2StreamEnd.readBody)
            rv = block.withNV { nghttp2_submit_request(s, nil, $0, $1, &provider, ud) }
        }
        guard rv > 0 else { return false }
        id = rv
        connection.streamSubmitted(self)
        return true
    }

    // MARK: nghttp2's data source

    override func takeBody(into buf: UnsafeMutablePointer<UInt8>, max: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        let n = out.take(into: buf, max: max, flags: flags) { HTTP2OutgoingBody.submitTrailers($0, session, id) }
        if writerBlocked && out.buffered < HTTP2UpstreamStream.requestLowWater {
            writerBlocked = false
            pendingEvents.insert(.writable)
            connection.wake(self)
        }
        return n
    }

    // MARK: what the callbacks record

    func beginHeaders() {
        fields = []
        status = nil
        hasContentLength = false
    }

    func responseField(_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) {
        guard failure == nil else { return }
        if name.first == UInt8(ascii: ":") {
            if name.elementsEqual(":status".utf8) { status = Int(String(decoding: value, as: UTF8.self)) }
            return
        }
        if fields.count + name.count + value.count + 32 > HTTP2UpstreamStream.maxFieldBytes {
            fail(.protocolError)
            return
        }
        if name.elementsEqual("content-length".utf8) { hasContentLength = true }
        // Go's canonical form (net/textproto): upper case first and after each '-'.
        var upper = true
        for b in name {
            fields.append(upper && b >= 0x61 && b <= 0x7A ? b - 0x20 : b)
            upper = b == UInt8(ascii: "-")
        }
        fields += RequestHeadBuilder.colon
        fields.append(contentsOf: value)
        fields += BodyForwarder.crlf
    }

    /// A HEADERS frame (with its CONTINUATIONs) is complete: a 1xx head, the final head, or trailers.
    func headersDone(endStream: Bool) {
        guard failure == nil else { return }
        if let status {
            guard !headDone else { return fail(.protocolError) }
            var w = HTTPHeaderWriter(reservingCapacity: fields.count + 64)
            w.statusLine(status)
            var head = w.bytes
            head += fields
            if status >= 100 && status < 200 {
                head += BodyForwarder.crlf
                responseIn += head
            } else {
                headDone = true
                let bodyless = isHeadRequest || status == 204 || status == 304
                if bodyless || hasContentLength {
                    // as it came
                } else if endStream {
                    head += HTTP2UpstreamStream.emptyLength
                } else {
                    chunked = true
                    head += HTTP2UpstreamStream.chunkedField
                }
                head += BodyForwarder.crlf
                responseIn += head
            }
        } else if headDone && chunked {
            responseIn += BodyForwarder.lastChunkSize
            responseIn += fields
            responseIn += BodyForwarder.crlf
            responseEnded = true
        }  // trailers after a sized body: HTTP/1.1 has no place for them; dropped
        fields = []
        if endStream { ended() }
        pendingEvents.insert(.readable)
        connection.wake(self)
    }

    override func dataArrived(_ data: UnsafeRawBufferPointer) {
        unconsumed += data.count
        if isHeadRequest || !headDone || failure != nil || released {
            if let s = session { nghttp2_session_consume(s, id, data.count) }
            unconsumed -= data.count
            return
        }
        if chunked {
            BodyForwarder.appendChunkSize(data.count, to: &responseIn)
            responseIn.append(contentsOf: data)
            responseIn += BodyForwarder.crlf
        } else {
            responseIn.append(contentsOf: data)
        }
        pendingEvents.insert(.readable)
        connection.wake(self)
    }

    /// END_STREAM from the server.
    func ended() {
        guard headDone, !responseEnded else { return }
        if chunked { responseIn += BodyForwarder.lastChunk }
        responseEnded = true
        pendingEvents.insert(.readable)
        connection.wake(self)
    }

    /// nghttp2 closed the stream: both sides ended, or a reset (the server's RST_STREAM, REFUSED_STREAM
    /// after its GOAWAY) — then a response not complete fails.
    override func closedByLibrary(errorCode: UInt32) {
        libraryClosed = true
        // REFUSED_STREAM (RFC 9113 §8.7: not processed; also the streams past a GOAWAY's last id): the request
        // may go again on another connection.
        if !responseEnded && failure == nil {
            failure = errorCode == NGHTTP2_REFUSED_STREAM.rawValue && !headDone ? .connectionAborted : .protocolError
        }
        pendingEvents.insert(.readable)
        if !out.ended || failure != nil { pendingEvents.insert(.error) }
        connection.wake(self)
    }

    /// The connection ended — its connect failed (`established` false) or timed out, or it was lost: the
    /// session hears of it at once.
    func connectionLost(timedOut: Bool, established: Bool) {
        libraryClosed = true
        if !responseEnded && failure == nil { failure = timedOut ? .timedOut : established ? .protocolError : .connectionRefused }
        owner?.ready(fd: .invalid, [.readable, .writable, .error])
    }

    /// The response cannot be taken (a field section too large, a second final head): the stream is reset.
    private func fail(_ e: Errno) {
        failure = e
        if id > 0, !libraryClosed, let s = session {
            nghttp2_submit_rst_stream(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_PROTOCOL_ERROR.rawValue)
        }
        pendingEvents.insert([.readable, .error])
        connection.wake(self)
    }

    /// Passes what happened on to the session (after nghttp2 returned).
    override func deliver() {
        let events = pendingEvents
        pendingEvents = []
        guard !events.isEmpty, let o = owner else { return }
        o.ready(fd: .invalid, events)
    }

    static let emptyLength: [UInt8] = Array("Content-Length: 0\r\n".utf8)
    static let chunkedField: [UInt8] = Array("Transfer-Encoding: chunked\r\n".utf8)
}
