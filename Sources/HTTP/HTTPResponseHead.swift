// The head of an HTTP/1.x response from a backend, parsed in place, and where its body ends (RFC 9112 §6.3),
// which depends on the request it answers (HEAD, CONNECT). The same strictness as for requests applies — a
// response the proxy cannot frame without guessing is an error, and the proxy answers its client 500, as
// Traefik does (Go's parse error is no network error to it) — with one leniency Traefik has too: a line may
// end in a bare LF (HTTPLineScanner). The proxy rebuilds every head it forwards from the parsed ranges, so
// its client always gets CRLF.

public struct HTTPResponseHead: Equatable, Sendable {
    public let version: HTTPVersion
    public let status: Int
    /// Reason phrase, possibly empty.
    public let reason: Range<Int>
    public let fields: [HTTPHeaderField]
    public let facts: HTTPMessageFacts
    public let framing: HTTPBodyFraming

    public var contentLength: UInt64? { facts.contentLength }
    public var connection: HTTPConnectionOptions { facts.connection }
    public var upgrade: Range<Int>? { facts.upgrade }
    /// 1xx other than 101: an interim response; the final response head follows it on the same connection.
    public var isInformational: Bool { status >= 100 && status < 200 && status != 101 }
    public var isSwitchingProtocols: Bool { status == 101 }
    /// Whether the backend connection can carry another request after this response.
    public var keepAlive: Bool {
        if framing == .untilClose || framing == .tunnel || facts.connection.contains(.close) { return false }
        return version.isAtLeast11 || facts.connection.contains(.keepAlive)
    }

    /// Parses one response head at the start of `bytes`, for a request with method `requestMethod`.
    /// Same contract as `HTTPRequestHead.parse`; errors' `status` is meaningless here (answer 500).
    public static func parse(_ bytes: UnsafeRawBufferPointer, requestMethod: HTTPMethod,
                             limits: HTTPParseLimits = HTTPParseLimits()) -> HTTPParseResult<HTTPResponseHead> {
        var storage: [HTTPHeaderField] = []
        return parse(bytes, requestMethod: requestMethod, limits: limits, reusing: &storage)
    }

    /// `parse`, with the fields array taken from `storage` and given back to it (see
    /// `HTTPFieldSectionParser.init(reusing:)`).
    public static func parse(_ bytes: UnsafeRawBufferPointer, requestMethod: HTTPMethod, limits: HTTPParseLimits,
                             reusing storage: inout [HTTPHeaderField]) -> HTTPParseResult<HTTPResponseHead> {
        let scanner = HTTPLineScanner(p: bytes, limits: limits, lineEnds: .crlfOrLF)
        let statusLine: Range<Int>, fieldsStart: Int
        switch scanner.line(from: 0) {
        case .incomplete: return .incomplete
        case .error(let e): return .error(e)
        case .line(let r, let next): (statusLine, fieldsStart) = (r, next)
        }
        let version: HTTPVersion, status: Int, reason: Range<Int>
        switch parseStatusLine(bytes, statusLine) {
        case .failure(let e): return .error(e)
        case .success(let parsed): (version, status, reason) = parsed
        }
        var section = HTTPFieldSectionParser(reusing: &storage)
        defer { section.returnStorage(to: &storage) }
        switch section.parse(scanner, from: fieldsStart) {
        case .incomplete: return .incomplete
        case .error(let e): return .error(e)
        case .end(let headLength):
            switch framing(section.facts, version: version, status: status, requestMethod: requestMethod) {
            case .failure(let e): return .error(e)
            case .success(let framing):
                let head = HTTPResponseHead(version: version, status: status, reason: reason,
                                            fields: section.fields, facts: section.facts, framing: framing)
                return .complete(head, headLength: headLength)
            }
        }
    }

    public static func parse(_ bytes: [UInt8], requestMethod: HTTPMethod,
                             limits: HTTPParseLimits = HTTPParseLimits()) -> HTTPParseResult<HTTPResponseHead> {
        bytes.withUnsafeBytes { parse($0, requestMethod: requestMethod, limits: limits) }
    }

    /// Ranges in the result index the slice from 0 (its first byte).
    public static func parse(_ bytes: ArraySlice<UInt8>, requestMethod: HTTPMethod,
                             limits: HTTPParseLimits = HTTPParseLimits()) -> HTTPParseResult<HTTPResponseHead> {
        bytes.withUnsafeBytes { parse($0, requestMethod: requestMethod, limits: limits) }
    }

    /// status-line = HTTP-version SP 3DIGIT SP [reason-phrase]. A missing "SP reason" after the code is
    /// accepted, as Go's client and most peers accept it.
    private static func parseStatusLine(_ p: UnsafeRawBufferPointer,
                                        _ line: Range<Int>) -> Result<(HTTPVersion, Int, Range<Int>), HTTPParseError> {
        let s = line.lowerBound
        guard line.count >= 12, p[s + 8] == HTTPASCII.sp else { return .failure(.malformedStartLine(offset: s)) }
        let version: HTTPVersion
        switch HTTPVersion.parse(p, s..<(s + 8)) {
        case .malformed: return .failure(.malformedStartLine(offset: s))
        case .unsupported: return .failure(.unsupportedVersion(offset: s))
        case .version(let v): version = v
        }
        var status = 0
        for i in (s + 9)..<(s + 12) {
            let d = p[i] &- 0x30
            guard d < 10 else { return .failure(.malformedStartLine(offset: i)) }
            status = status * 10 + Int(d)
        }
        guard status >= 100 else { return .failure(.malformedStartLine(offset: s + 9)) }
        if line.count == 12 { return .success((version, status, line.upperBound..<line.upperBound)) }
        guard p[s + 12] == HTTPASCII.sp else { return .failure(.malformedStartLine(offset: s + 12)) }
        for i in (s + 13)..<line.upperBound where !HTTPASCII.isFieldValueByte(p[i]) {
            return .failure(.malformedStartLine(offset: i))
        }
        return .success((version, status, (s + 13)..<line.upperBound))
    }

    /// RFC 9112 §6.3, in its order. Content-Length with Transfer-Encoding is refused even where the body
    /// length is known otherwise: such a backend is broken or hostile.
    private static func framing(_ facts: HTTPMessageFacts, version: HTTPVersion, status: Int,
                                requestMethod: HTTPMethod) -> Result<HTTPBodyFraming, HTTPParseError> {
        if let te = facts.transferEncoding {
            if facts.contentLength != nil { return .failure(.contentLengthWithTransferEncoding) }
            if !version.isAtLeast11 { return .failure(.invalidTransferEncoding(offset: te.lowerBound)) }
            if let bad = facts.malformedCodingOffset { return .failure(.invalidTransferEncoding(offset: bad)) }
        }
        if requestMethod == .head || status == 204 || status == 304 || (status < 200 && status != 101) {
            return .success(.none)
        }
        if status == 101 || (requestMethod == .connect && status >= 200 && status < 300) { return .success(.tunnel) }
        // A response whose final coding is not chunked runs until close (RFC 9112 §6.3 ¶4).
        if facts.transferEncoding != nil { return .success(facts.finalCodingIsChunked ? .chunked : .untilClose) }
        if let length = facts.contentLength { return .success(length > 0 ? .contentLength(length) : .none) }
        return .success(.untilClose)
    }
}
