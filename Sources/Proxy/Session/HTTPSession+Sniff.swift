// The `contentType` middleware's response side: Go's server sniffs a Content-Type from the first bytes
// written when the response has none (and no Content-Encoding), so the head cannot leave before some of
// the body is here. The head waits for the first body bytes (or the backend's close); the type is then
// ContentSniffer's answer for them. A response with an empty body gets none, as in Go, and so does one of
// unknown length (chunked, or until close): Traefik flushes that head before the first body byte.
// Traefik also flushes a known-length head after its 100 ms flushInterval when no body byte came by
// then (so sniffing depends on the backend's timing there); stoep waits for the first bytes instead.
import HTTP
import Reactor

extension HTTPSession {
    enum SniffProgress { case ready, readAgain, wait }

    /// Before the final head `head` (`length` bytes in `u.buffer`) is sent: reads until the first body
    /// bytes are in `u.buffer`, then stores the sniffed type in `x.sniffedType` (nil when the head has a
    /// Content-Type or Content-Encoding, or the body is empty).
    func sniffContentType(_ x: HTTPExchange, _ head: HTTPResponseHead, length: Int, _ u: UpstreamConnection) -> SniffProgress {
        let bytes = Array(u.buffer.unread.prefix(length))
        let typed = head.fields.contains { f in
            isNamed(f, "content-type", in: bytes) || (isNamed(f, "content-encoding", in: bytes) && !f.value.isEmpty)
        }
        if typed {
            x.sniffContentType = false
            return .ready
        }
        let body = u.buffer.unread.dropFirst(length)
        if let data = Self.firstBodyBytes(head.framing, body) {
            x.sniffContentType = false
            x.sniffedType = data.isEmpty ? nil : ContentSniffer.detect(data)
            return .ready
        }
        guard u.readable else { return .wait }
        switch u.buffer.read(from: u.transport) {
        case .bytes:
            if u.buffer.lastReadDrained { u.readable = false }
            return .readAgain
        case .wouldBlock:
            u.readable = false
            return .wait
        case .eof, .error:
            // The body ends here (or fails in the body pump): sniff what there is.
            x.sniffContentType = false
            let rest = Self.firstBodyBytes(head.framing, body) ?? body
            x.sniffedType = rest.isEmpty ? nil : ContentSniffer.detect(rest)
            return .ready
        }
    }

    /// The first body bytes in `raw` (the bytes after the head), decoded from the framing; nil when none
    /// arrived yet but some are due; empty when the body is empty.
    static func firstBodyBytes(_ framing: HTTPBodyFraming, _ raw: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        switch framing {
        case .none, .tunnel: return []
        case .contentLength(let n):
            return raw.isEmpty ? nil : raw.prefix(Int(min(n, UInt64(ContentSniffer.sniffLength))))
        case .untilClose, .chunked:
            // A body of unknown length: Go's ReverseProxy flushes the head at once (flushInterval -1),
            // before any body byte is written, so Go never sniffs it.
            return []
        }
    }
}
