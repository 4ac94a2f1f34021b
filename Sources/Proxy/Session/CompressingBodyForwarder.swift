// Forwards one response body through a compressor: read from the backend (whatever its framing), unframed,
// encoded, and sent to the client as chunks (HTTP/1.1) or until close (HTTP/1.0).
//
// Why user space, and what it costs: BodyForwarder splices a body kernel-side, but an encoder needs the
// bytes, so a compressed body is read into the backend connection's buffer (16 KiB at a time), encoded into
// this forwarder's output and written from there: two copies and the encoder's CPU per byte instead of
// none, paid only for responses the compress middleware chose. Memory stays bounded: the backend is read
// only when the previous output has reached the client, so a slow client still slows the backend (its
// socket buffer fills, as with splice), and what is held is one read, its compressed output and the
// encoder's state (docs/dependencies.md).
//
// The head waits, as Go's server makes it wait: for a body of declared length the compressed bytes are held
// until more than 2048 have come (Go's bufferBeforeChunkingSize) — a body that compresses into fewer goes
// out with a Content-Length, as Traefik sends it, else chunked. A body of unknown length is flushed after
// each read (Traefik's reverse proxy flushes such a body after each write), so its head goes at once.
import HTTP
import Reactor

struct CompressingBodyForwarder {
    private enum Source {
        case length(UInt64)
        case chunked
        case untilClose
    }

    /// The head for the client: with a Content-Length (the whole compressed body is known), or nil for
    /// chunked (close-delimited to an HTTP/1.0 client).
    typealias HeadMaker = (_ contentLength: Int?) -> [UInt8]

    private var source: Source
    private var decoder = ChunkedDecoder()
    private let encoder: StreamEncoder
    private let flushEachRead: Bool
    private let chunkedOut: Bool
    private var makeHead: HeadMaker?
    /// Compressed bytes waiting for the head's decision.
    private var held: [UInt8] = []
    private var produced: [UInt8] = []
    private var out = PendingWrite()
    private var finished = false
    /// Compressed body bytes sent on.
    private(set) var bytes: UInt64 = 0

    /// Go's http server sends a body that fits its 2 KiB write buffer when the handler ends with a
    /// Content-Length, a longer one chunked (net/http server.go bufferBeforeChunkingSize).
    static let bufferBeforeChunking = 2048
    /// One read from the backend.
    static let readBytes = 16 * 1024

    /// `chunkedOut`: the client speaks HTTP/1.1 (else the body is close-delimited).
    init(_ framing: HTTPBodyFraming, encoder: StreamEncoder, chunkedOut: Bool, makeHead: @escaping HeadMaker) {
        switch framing {
        case .contentLength(let n): source = .length(n)
        case .chunked: source = .chunked
        case .none, .tunnel, .untilClose: source = .untilClose
        }
        self.encoder = encoder
        self.chunkedOut = chunkedOut
        if case .length = source {
            flushEachRead = false
            self.makeHead = makeHead
        } else {
            flushEachRead = true
            out.bytes = makeHead(nil)
        }
    }

    /// Moves what it can: reads the backend only when the client has taken everything before.
    mutating func pump(src: Transport, buffer: inout ByteBuffer, dst: Transport, srcReady: inout Bool,
                       dstReady: inout Bool) -> BodyForwarder.Step {
        while true {
            if !out.flush(dst, &dstReady) { return out.failed.map { .failed($0) } ?? .blocked }
            if finished { return .done }
            var payload: ArraySlice<UInt8> = []
            var ended = false
            switch source {
            case .length(let left):
                if left == 0 { ended = true; break }
                let n = Int(min(UInt64(buffer.count), left))
                payload = buffer.unread.prefix(n)
                source = .length(left - UInt64(n))
                if left == UInt64(n) { ended = true }
            case .untilClose:
                payload = buffer.unread
            case .chunked:
                let next: ChunkedDecoder.Step? = buffer.withUnreadBytes { bytes in
                    do { return try decoder.next(bytes) } catch { return nil }
                }
                guard let step = next else { return .badChunk }
                switch step {
                case .needMore: break
                case .chunkHeader(let consumed, _), .chunkEnd(let consumed), .trailers(let consumed):
                    // Trailers are dropped: the compressed body is a new representation.
                    buffer.consume(consumed)
                    continue
                case .payload(let remaining):
                    payload = buffer.unread.prefix(Int(min(UInt64(buffer.count), remaining)))
                    decoder.payloadMoved(UInt64(payload.count))
                case .done:
                    ended = true
                }
            }
            if !payload.isEmpty || ended {
                let n = payload.count
                let ok = payload.withUnsafeBytes { encoder.encode($0, ended ? .finish : (flushEachRead ? .flush : .more), into: &produced) }
                buffer.consume(n)
                guard ok else { return .failed(.noMemory) }
                emit(final: ended)
                continue
            }
            // The buffer holds nothing of the body: read more (the output is all sent, see above).
            guard srcReady else { return .blocked }
            switch buffer.read(from: src, max: Self.readBytes) {
            case .bytes:
                if buffer.lastReadDrained { srcReady = false }
            case .wouldBlock:
                srcReady = false
                return .blocked
            case .eof:
                guard case .untilClose = source else { return .sourceClosed }
                let ok = encoder.encode(UnsafeRawBufferPointer(start: nil, count: 0), .finish, into: &produced)
                guard ok else { return .failed(.noMemory) }
                emit(final: true)
            case .error(let e):
                return .failed(e)
            }
        }
    }

    /// Frames what the encoder produced into `out`; `final`: the encoder finished, the body ends here.
    private mutating func emit(final: Bool) {
        defer { produced.removeAll(keepingCapacity: true) }
        if final { finished = true }
        if let makeHead {
            held += produced
            if final {
                out.bytes += makeHead(held.count)
                out.bytes += held
                bytes += UInt64(held.count)
                self.makeHead = nil
                held = []
                return
            }
            guard held.count > Self.bufferBeforeChunking else { return }
            out.bytes += makeHead(nil)
            self.makeHead = nil
            swap(&held, &produced)
            held = []
        }
        if !produced.isEmpty {
            bytes += UInt64(produced.count)
            if chunkedOut {
                BodyForwarder.appendChunk(produced[...], to: &out.bytes)
            } else {
                out.bytes += produced
            }
        }
        if final && chunkedOut { out.bytes += BodyForwarder.lastChunk }
    }
}
