// The payload a stream sends — a response to an h2 client (HTTP2Stream), a request to an h2 backend
// (HTTP2UpstreamStream) — as a session wrote it in HTTP/1.1 framing: `BodyUnframer` takes the framing off
// (a known length passed through, chunks decoded, their trailer section kept), and `HTTP2OutgoingBody`
// holds the payload until nghttp2's data source copies it into DATA frames as the windows allow.
import CNGHTTP2
import HTTP

/// An HTTP/1.1 message body, written in pieces, turned back into its payload (and trailer section).
struct BodyUnframer {
    private enum State {
        case length(UInt64)
        case chunked
        /// Until the writer ends the stream (a body framed by the backend's close).
        case untilEnd
        case done
    }

    private var state: State
    private var chunkIn: [UInt8] = []
    private var decoder = ChunkedDecoder()
    /// A chunked body's trailer section (its field lines), once the last chunk came.
    private(set) var trailers: [UInt8] = []

    init(_ framing: HTTPBodyFraming) {
        switch framing {
        case .none, .tunnel: state = .done
        case .contentLength(let n): state = n == 0 ? .done : .length(n)
        case .chunked: state = .chunked
        case .untilClose: state = .untilEnd
        }
    }

    var isDone: Bool { if case .done = state { return true } else { return false } }

    /// Takes up to `room` bytes of `bytes`, appending their payload to `body`. The count taken (0 once the
    /// body is complete: nothing may follow it on a stream), or -1 on bad chunked framing.
    mutating func accept(_ bytes: UnsafeRawBufferPointer, room: Int, into body: inout [UInt8]) -> Int {
        let n = min(bytes.count, room)
        switch state {
        case .done:
            return 0
        case .length(let left):
            let k = Int(min(UInt64(n), left))
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<k]))
            state = left == UInt64(k) ? .done : .length(left - UInt64(k))
            return k
        case .untilEnd:
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
            return n
        case .chunked:
            chunkIn.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
            return unchunk(into: &body) ? n : -1
        }
    }

    /// The writer ended: a body framed by its end is complete.
    mutating func writerEnded() {
        if case .untilEnd = state { state = .done }
    }

    /// Moves the payload of `chunkIn` to `body`, keeping the trailer section. False on bad framing.
    private mutating func unchunk(into body: inout [UInt8]) -> Bool {
        var at = 0
        defer {
            if at >= chunkIn.count { chunkIn.removeAll(keepingCapacity: true) } else if at > 0 { chunkIn.removeFirst(at) }
        }
        while true {
            let step: ChunkedDecoder.Step
            do {
                step = try chunkIn.withUnsafeBytes { try decoder.next(UnsafeRawBufferPointer(rebasing: $0[at...])) }
            } catch {
                return false
            }
            switch step {
            case .needMore: return true
            case .chunkHeader(let consumed, _), .chunkEnd(let consumed):
                at += consumed
            case .trailers(let consumed):
                // Field lines and the empty line that ends them ("\r\n" alone: no trailers).
                if consumed > 2 { trailers = Array(chunkIn[at..<at + consumed - 2]) }
                at += consumed
            case .payload(let remaining):
                let n = Int(min(UInt64(chunkIn.count - at), remaining))
                if n == 0 { return true }
                body.append(contentsOf: chunkIn[at..<at + n])
                decoder.payloadMoved(UInt64(n))
                at += n
            case .done:
                state = .done
                at = chunkIn.count  // nothing may follow the last chunk on a stream
                return true
            }
        }
    }
}

/// The payload waiting for nghttp2's data source, and whether it is complete.
struct HTTP2OutgoingBody {
    var bytes: [UInt8] = []
    var sent = 0
    /// The whole payload is in `bytes` (END_STREAM, or trailers, follow the last of it).
    var ended = false
    /// The trailer section to send after the last DATA (field lines), if any.
    var trailers: [UInt8] = []
    /// nghttp2 asked for DATA when none was there (NGHTTP2_ERR_DEFERRED): resume the stream when some comes.
    var deferred = false

    /// Bytes held and not yet taken by nghttp2.
    var buffered: Int { bytes.count - sent }

    /// The data source's work: copies up to `max` bytes for a DATA frame; at the end sets EOF, and
    /// NO_END_STREAM when `submitTrailers` (called once, with the trailer section) queued a trailing
    /// HEADERS; DEFERRED when nothing waits yet.
    mutating func take(into buf: UnsafeMutablePointer<UInt8>, max: Int, flags: UnsafeMutablePointer<UInt32>,
                       submitTrailers: ([UInt8]) -> Bool) -> Int {
        let left = bytes.count - sent
        if left == 0 {
            if ended {
                end(flags, submitTrailers)
                return 0
            }
            deferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        let n = min(left, max)
        bytes.withUnsafeBytes { UnsafeMutableRawPointer(buf).copyMemory(from: $0.baseAddress! + sent, byteCount: n) }
        sent += n
        if sent == bytes.count {
            bytes.removeAll(keepingCapacity: bytes.capacity <= 64 * 1024)
            sent = 0
            if ended { end(flags, submitTrailers) }
        } else if sent > 32 * 1024 {
            bytes.removeFirst(sent)
            sent = 0
        }
        return n
    }

    private func end(_ flags: UnsafeMutablePointer<UInt32>, _ submitTrailers: ([UInt8]) -> Bool) {
        flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
        if !trailers.isEmpty, submitTrailers(trailers) { flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue }
    }

    /// New bytes (or the end) for a stream nghttp2 was told to wait on: resumes it. True when it did.
    mutating func resume(_ session: OpaquePointer?, _ id: Int32) -> Bool {
        guard deferred, let s = session, id > 0 else { return false }
        deferred = false
        nghttp2_session_resume_data(s, id)
        return true
    }

    /// Submits `trailers` (field lines) as HEADERS with END_STREAM on `id`. False when none of them can go.
    static func submitTrailers(_ trailers: [UInt8], _ session: OpaquePointer?, _ id: Int32) -> Bool {
        guard let s = session else { return false }
        var block = HTTP2FieldBlock()
        block.addFieldLines(trailers)
        guard !block.isEmpty else { return false }
        return block.withNV { nghttp2_submit_trailer(s, id, $0, $1) } == 0
    }
}
