// The head of an HTTP/1.x request, parsed in place: every name, value and target is a byte range into the
// buffer the caller read from the socket, so the proxy can route on it and forward it without copying the body.
// Strict on purpose: every ambiguity a front and back parser could read differently (request smuggling) is an
// error with the status Go's net/http, and so Traefik, answers.

public struct HTTPRequestHead: Equatable, Sendable {
    public let method: Range<Int>
    public let knownMethod: HTTPMethod
    public let target: Range<Int>
    public let targetForm: HTTPRequestTargetForm
    public let version: HTTPVersion
    /// Header fields in arrival order, names in their original case.
    public let fields: [HTTPHeaderField]
    public let facts: HTTPMessageFacts
    public let framing: HTTPBodyFraming
    /// The authority the request is for: from an absolute-form target, else the Host field, else (CONNECT)
    /// the authority-form target. Nil only for HTTP/1.0 without Host.
    public let host: Range<Int>?

    public var contentLength: UInt64? { facts.contentLength }
    public var isChunked: Bool { framing == .chunked }
    public var connection: HTTPConnectionOptions { facts.connection }
    public var upgrade: Range<Int>? { facts.upgrade }
    public var expectsContinue: Bool { facts.expectsContinue }
    public var te: Range<Int>? { facts.te }
    /// Connection: upgrade together with an Upgrade field (WebSocket handshakes).
    public var isUpgrade: Bool { facts.connection.contains(.upgrade) && facts.upgrade != nil }
    /// Whether the client expects the connection to stay open after this exchange (RFC 9112 §9.3).
    public var keepAlive: Bool {
        if facts.connection.contains(.close) { return false }
        return version.isAtLeast11 || facts.connection.contains(.keepAlive)
    }

    /// Parses one request head at the start of `bytes`. Contract: `.complete` consumes exactly the head (a
    /// pipelined request after it is left alone); `.incomplete` means read more and call again with the same
    /// start; the answer never depends on how the bytes were split across reads. Empty lines before the request
    /// line are skipped (RFC 9112 §2.2) and counted in `headLength`.
    public static func parse(_ bytes: UnsafeRawBufferPointer,
                             limits: HTTPParseLimits = HTTPParseLimits()) -> HTTPParseResult<HTTPRequestHead> {
        var storage: [HTTPHeaderField] = []
        return parse(bytes, limits: limits, reusing: &storage)
    }

    /// `parse`, with the fields array taken from `storage` and given back to it (see
    /// `HTTPFieldSectionParser.init(reusing:)`): a session keeps one and parses heads without allocating.
    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: HTTPParseLimits,
                             reusing storage: inout [HTTPHeaderField]) -> HTTPParseResult<HTTPRequestHead> {
        let scanner = HTTPLineScanner(p: bytes, limits: limits)
        var start = 0
        var requestLine: Range<Int>
        repeat {
            switch scanner.line(from: start) {
            case .incomplete: return .incomplete
            case .error(let e): return .error(e)
            case .line(let r, let next):
                requestLine = r
                start = next
            }
        } while requestLine.isEmpty

        let line: RequestLine
        switch RequestLine.parse(bytes, requestLine) {
        case .failure(let e): return .error(e)
        case .success(let l): line = l
        }
        var section = HTTPFieldSectionParser(reusing: &storage)
        defer { section.returnStorage(to: &storage) }
        switch section.parse(scanner, from: start) {
        case .incomplete: return .incomplete
        case .error(let e): return .error(e)
        case .end(let headLength):
            switch finish(bytes, line, section) {
            case .failure(let e): return .error(e)
            case .success(let head): return .complete(head, headLength: headLength)
            }
        }
    }

    public static func parse(_ bytes: [UInt8], limits: HTTPParseLimits = HTTPParseLimits()) -> HTTPParseResult<HTTPRequestHead> {
        bytes.withUnsafeBytes { parse($0, limits: limits) }
    }

    /// Ranges in the result index the slice from 0 (its first byte), not the slice's own indices.
    public static func parse(_ bytes: ArraySlice<UInt8>, limits: HTTPParseLimits = HTTPParseLimits()) -> HTTPParseResult<HTTPRequestHead> {
        bytes.withUnsafeBytes { parse($0, limits: limits) }
    }

    /// Checks that need the whole field section: Host presence and count, and the body framing.
    private static func finish(_ p: UnsafeRawBufferPointer, _ line: RequestLine,
                               _ section: HTTPFieldSectionParser) -> Result<HTTPRequestHead, HTTPParseError> {
        let facts = section.facts
        if facts.hostCount > 1 {
            let second = section.fields.lazy.filter {
                HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: p[$0.name]), "host")
            }.dropFirst().first
            return .failure(.multipleHost(offset: second?.name.lowerBound ?? 0))
        }
        if let host = facts.host, !HTTPRequestTargetForm.isValidHost(p, host) {
            return .failure(.invalidHost(offset: host.lowerBound))
        }
        // Go exempts CONNECT from the Host requirement; its authority-form target names the host.
        if line.version.isAtLeast11, facts.host == nil, line.knownMethod != .connect { return .failure(.missingHost) }

        let framing: HTTPBodyFraming
        if let te = facts.transferEncoding {
            if facts.contentLength != nil { return .failure(.contentLengthWithTransferEncoding) }
            // RFC 9112 §6.1: Transfer-Encoding on HTTP/1.0 means the framing is faulty.
            if !line.version.isAtLeast11 { return .failure(.invalidTransferEncoding(offset: te.lowerBound)) }
            if let bad = facts.malformedCodingOffset { return .failure(.invalidTransferEncoding(offset: bad)) }
            // RFC 9112 §6.3 ¶4: a request whose final coding is not chunked cannot be framed: 400.
            if !facts.finalCodingIsChunked { return .failure(.invalidTransferEncoding(offset: te.lowerBound)) }
            // "gzip, chunked": well framed, but Go (and so Traefik) implements no coding but chunked: 501.
            if facts.codingCount != 1 { return .failure(.unsupportedTransferEncoding(offset: te.lowerBound)) }
            framing = .chunked
        } else if let length = facts.contentLength, length > 0 {
            framing = .contentLength(length)
        } else {
            framing = .none
        }

        var host = facts.host
        if case .absolute(let authority, _) = line.targetForm { host = authority }
        if host == nil, line.targetForm == .authority { host = line.target }
        return .success(HTTPRequestHead(method: line.method, knownMethod: line.knownMethod, target: line.target,
                                        targetForm: line.targetForm, version: line.version,
                                        fields: section.fields, facts: facts, framing: framing, host: host))
    }
}

/// request-line = method SP request-target SP HTTP-version, single spaces, nothing else.
private struct RequestLine {
    let method: Range<Int>
    let knownMethod: HTTPMethod
    let target: Range<Int>
    let targetForm: HTTPRequestTargetForm
    let version: HTTPVersion

    static func parse(_ p: UnsafeRawBufferPointer, _ line: Range<Int>) -> Result<RequestLine, HTTPParseError> {
        var i = line.lowerBound
        while i < line.upperBound, HTTPASCII.isTokenByte(p[i]) { i += 1 }
        guard i > line.lowerBound, i < line.upperBound, p[i] == HTTPASCII.sp else {
            return .failure(.malformedStartLine(offset: i))
        }
        let method = line.lowerBound..<i
        let targetStart = i + 1
        var j = targetStart
        while j < line.upperBound, p[j] != HTTPASCII.sp { j += 1 }
        guard j < line.upperBound, j > targetStart else { return .failure(.malformedStartLine(offset: j)) }
        let target = targetStart..<j
        let version: HTTPVersion
        switch HTTPVersion.parse(p, (j + 1)..<line.upperBound) {
        case .malformed: return .failure(.malformedStartLine(offset: j + 1))
        case .unsupported: return .failure(.unsupportedVersion(offset: j + 1))
        case .version(let v): version = v
        }
        let known = HTTPMethod.classify(UnsafeRawBufferPointer(rebasing: p[method]))
        guard let form = HTTPRequestTargetForm.classify(p, target, method: known) else {
            return .failure(.invalidRequestTarget(offset: targetStart))
        }
        return .success(RequestLine(method: method, knownMethod: known, target: target, targetForm: form,
                                    version: version))
    }
}
