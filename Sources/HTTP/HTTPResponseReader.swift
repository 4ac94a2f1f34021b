// Reads one HTTP/1.x response that arrives in pieces, for stoep's own small clients (the Docker Engine
// API client): the head with `HTTPResponseHead`, then the body by the framing the head gives — chunked
// (`ChunkedDecoder`; Docker's `/events` streams one JSON object per chunk or line), Content-Length, or
// until the connection closes. Bytes in, decoded body pieces out; no socket here, so it is tested alone.
// The proxy does not use it: it forwards bodies without decoding them (BodyForwarder).

/// Why a response could not be read.
public enum HTTPResponseReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The head is not an HTTP/1.x response head stoep can frame (or is larger than the limits).
    case head(HTTPParseError)
    /// The chunked body breaks RFC 9112 §7.1.
    case chunked(HTTPChunkedError)
    /// The connection ended before a complete head arrived.
    case closedBeforeHead
    /// The connection ended before the body its head announced was complete.
    case closedMidBody

    public var description: String {
        switch self {
        case .head(let error): return "not an HTTP response we can read (\(error))"
        case .chunked(let error): return "bad chunked body (\(error))"
        case .closedBeforeHead: return "connection closed before the response head"
        case .closedMidBody: return "connection closed mid-body"
        }
    }
}

public struct HTTPResponseReader {
    /// The final response's status code, once its head arrived (interim 1xx heads are skipped).
    public private(set) var status: Int?
    /// The final head's fields as text (names lower-cased), for clients that read headers (ACME's
    /// Replay-Nonce, Location, Retry-After, Link).
    public func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
    public private(set) var fields: [(name: String, value: String)] = []
    /// True once the whole body arrived (chunked end, Content-Length reached, or no body).
    public private(set) var isComplete = false
    private let requestMethod: HTTPMethod
    private let limits: HTTPParseLimits
    /// Received bytes not yet consumed: a head in progress, or chunk framing waiting for its line end.
    private var pending: [UInt8] = []
    private var framing = HTTPBodyFraming.none
    /// Body bytes still to come with Content-Length framing.
    private var remaining: UInt64 = 0
    private var chunks = ChunkedDecoder()

    /// `limits` bounds the head (64 KiB by default: a larger one is not an API answer).
    public init(requestMethod: HTTPMethod = .get, limits: HTTPParseLimits = HTTPParseLimits(maxHeadBytes: 64 << 10)) {
        self.requestMethod = requestMethod
        self.limits = limits
    }

    /// Feeds received bytes; returns the body bytes they carry (decoded from chunks). Bytes after the end
    /// of the body are ignored. Throws on a malformed head or chunk.
    public mutating func feed(_ bytes: ArraySlice<UInt8>) throws(HTTPResponseReadError) -> [UInt8] {
        if isComplete { return [] }
        if status == nil {
            pending += bytes
            guard let bodyStart = try readHead() else { return [] }
            let rest = pending[bodyStart...]
            pending = []
            return try body(rest)
        }
        return try body(bytes)
    }

    /// The connection closed: completes a body that runs until close; an error when the head or a framed
    /// body was cut short.
    public mutating func finish() throws(HTTPResponseReadError) {
        if isComplete { return }
        guard status != nil else { throw .closedBeforeHead }
        guard framing == .untilClose || framing == .tunnel else { throw .closedMidBody }
        isComplete = true
    }

    /// Parses the head(s) in `pending`: the offset where the final response's body starts, nil while the
    /// head is incomplete.
    private mutating func readHead() throws(HTTPResponseReadError) -> Int? {
        var start = 0
        while true {
            switch HTTPResponseHead.parse(pending[start...], requestMethod: requestMethod, limits: limits) {
            case .incomplete:
                if start > 0 { pending.removeFirst(start) }
                return nil
            case .error(let error):
                throw .head(error)
            case .complete(let head, let headLength):
                start += headLength
                if head.isInformational { continue }  // 100 Continue, 103 Early Hints: the real head follows
                status = head.status
                framing = head.framing
                fields = head.fields.map { f in
                    (String(decoding: pending[(start - headLength + f.name.lowerBound)..<(start - headLength + f.name.upperBound)], as: UTF8.self).lowercased(),
                     String(decoding: pending[(start - headLength + f.value.lowerBound)..<(start - headLength + f.value.upperBound)], as: UTF8.self))
                }
                switch framing {
                case .none: isComplete = true
                case .contentLength(let length): remaining = length
                case .chunked, .untilClose, .tunnel: break
                }
                return start
            }
        }
    }

    private mutating func body(_ input: ArraySlice<UInt8>) throws(HTTPResponseReadError) -> [UInt8] {
        switch framing {
        case .none: return []
        case .untilClose, .tunnel: return Array(input)
        case .contentLength:
            let take = Int(min(remaining, UInt64(input.count)))
            remaining -= UInt64(take)
            if remaining == 0 { isComplete = true }
            return Array(input.prefix(take))
        case .chunked:
            pending += input
            return try dechunk()
        }
    }

    /// Runs the chunked decoder over `pending`, keeping what does not yet complete a framing element.
    private mutating func dechunk() throws(HTTPResponseReadError) -> [UInt8] {
        var out: [UInt8] = []
        var position = 0
        defer { pending.removeFirst(position) }
        while !isComplete {
            let step: ChunkedDecoder.Step
            var decoder = chunks
            do {
                // withUnsafeBytes rethrows untyped errors, so the typed error travels in a Result.
                step = try pending.withUnsafeBytes { p in
                    Result { () throws(HTTPChunkedError) in try decoder.next(UnsafeRawBufferPointer(rebasing: p[position...])) }
                }.get()
            } catch {
                throw .chunked(error)
            }
            chunks = decoder
            switch step {
            case .needMore:
                return out
            case .chunkHeader(let consumed, _), .chunkEnd(let consumed):
                position += consumed
            case .payload(let remaining):
                let take = Int(min(remaining, UInt64(pending.count - position)))
                if take == 0 { return out }
                out += pending[position..<(position + take)]
                position += take
                chunks.payloadMoved(UInt64(take))
            case .trailers(let consumed):
                position += consumed
                isComplete = true
            case .done:
                isComplete = true
            }
        }
        return out
    }
}
