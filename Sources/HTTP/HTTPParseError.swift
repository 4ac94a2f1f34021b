// Why a message head was refused, and the status a server answers with (RFC 9112; Go net/http, which Traefik
// runs on). Offsets count bytes from the start of the buffer given to the parser, for logs and tests.

import Glibc

public enum HTTPParseError: Error, Equatable, Sendable {
    /// The request line or status line does not follow the grammar.
    case malformedStartLine(offset: Int)
    /// "HTTP/x.y" is well formed but its major version is not 1 (505).
    case unsupportedVersion(offset: Int)
    /// The request-target is not origin-, absolute-, authority- or asterisk-form, or holds control bytes.
    case invalidRequestTarget(offset: Int)
    /// The head is longer than `HTTPParseLimits.maxHeadBytes` (431).
    case headTooLarge
    /// One line is longer than `HTTPParseLimits.maxLineBytes` (431).
    case lineTooLong(offset: Int)
    /// More header fields than `HTTPParseLimits.maxFieldCount` (431).
    case tooManyFields
    /// A LF not preceded by CR, or a CR not followed by LF: parsers disagree on these, so smuggling uses them.
    case bareLineEnding(offset: Int)
    /// A line starting with SP or HTAB (obs-fold, RFC 9112 §5.2).
    case obsoleteLineFolding(offset: Int)
    /// Empty name, a non-token byte in the name, whitespace before the colon, or no colon at all.
    case invalidFieldName(offset: Int)
    /// A control byte (NUL, DEL, ...) in a field value.
    case invalidFieldValue(offset: Int)
    /// Content-Length that is not 1*DIGIT or exceeds 2^63-1.
    case invalidContentLength(offset: Int)
    /// Several Content-Length values that differ.
    case conflictingContentLength(offset: Int)
    /// Both Content-Length and Transfer-Encoding (RFC 9112 §6.3 ¶3: refused here rather than repaired).
    case contentLengthWithTransferEncoding
    /// Transfer-Encoding whose final coding is not chunked, a malformed coding list, or one on HTTP/1.0.
    case invalidTransferEncoding(offset: Int)
    /// Transfer-Encoding ending in chunked but with other codings before it, which stoep does not implement (501).
    case unsupportedTransferEncoding(offset: Int)
    /// HTTP/1.1 request without Host (RFC 9112 §3.2).
    case missingHost
    /// More than one Host field.
    case multipleHost(offset: Int)
    /// A Host value (or absolute-form authority) with bytes no host may hold.
    case invalidHost(offset: Int)

    /// The status a server answers a request with when its head fails this way (a proxy answers 502 for a
    /// response head that fails, whatever the case).
    public var status: Int {
        switch self {
        case .headTooLarge, .lineTooLong, .tooManyFields: return 431
        case .unsupportedVersion: return 505
        case .unsupportedTransferEncoding: return 501
        default: return 400
        }
    }
}

/// Bounds that keep one client from making the proxy buffer without end.
public struct HTTPParseLimits: Equatable, Sendable {
    /// Whole head, start line to the empty line. Go's http.DefaultMaxHeaderBytes is 1 MiB.
    public var maxHeadBytes: Int
    /// Any single line, the CRLF not counted.
    public var maxLineBytes: Int
    /// Header fields per head; each costs 32 bytes of bookkeeping, so this bounds memory per connection.
    public var maxFieldCount: Int

    public init(maxHeadBytes: Int = 1 << 20, maxLineBytes: Int = 64 << 10, maxFieldCount: Int = 1000) {
        self.maxHeadBytes = maxHeadBytes
        self.maxLineBytes = maxLineBytes
        self.maxFieldCount = maxFieldCount
    }
}

/// What a head parser found at the start of the buffer.
public enum HTTPParseResult<Head> {
    /// The buffer holds only part of a head: read more and parse again from the same start.
    case incomplete
    /// A head of `headLength` bytes (through the empty line); the body or the next message starts there.
    case complete(Head, headLength: Int)
    case error(HTTPParseError)
}

extension HTTPParseResult: Sendable where Head: Sendable {}
extension HTTPParseResult: Equatable where Head: Equatable {}

/// HTTP-version of a start line; only major version 1 is parsed.
public struct HTTPVersion: Equatable, Hashable, Sendable {
    public var major: UInt8
    public var minor: UInt8
    public init(major: UInt8, minor: UInt8) {
        self.major = major
        self.minor = minor
    }
    public static let http10 = HTTPVersion(major: 1, minor: 0)
    public static let http11 = HTTPVersion(major: 1, minor: 1)

    /// True for 1.1 and later 1.x: persistent connections by default, Host required.
    public var isAtLeast11: Bool { major > 1 || (major == 1 && minor >= 1) }
}

/// The methods whose semantics change framing or routing; the rest are `.other` (method bytes stay in the head).
public enum HTTPMethod: Equatable, Sendable {
    case get, head, post, put, delete, connect, options, trace, patch, other

    /// Methods are case-sensitive (RFC 9110 §9.1), so "get" is `.other`.
    static func classify(_ p: UnsafeRawBufferPointer) -> HTTPMethod {
        // Straight from the literal's bytes: through withUTF8Buffer and elementsEqual a method cost ~150
        // instructions per request.
        func equals(_ s: StaticString) -> Bool {
            s.utf8CodeUnitCount == p.count && memcmp(s.utf8Start, p.baseAddress!, p.count) == 0
        }
        switch p.count {
        case 3: return equals("GET") ? .get : equals("PUT") ? .put : .other
        case 4: return equals("HEAD") ? .head : equals("POST") ? .post : .other
        case 5: return equals("PATCH") ? .patch : equals("TRACE") ? .trace : .other
        case 6: return equals("DELETE") ? .delete : .other
        case 7: return equals("CONNECT") ? .connect : equals("OPTIONS") ? .options : .other
        default: return .other
        }
    }

    /// The method as the client wrote it, for a known one (a literal: nothing decoded per request).
    public var name: String? {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .delete: "DELETE"
        case .connect: "CONNECT"
        case .options: "OPTIONS"
        case .trace: "TRACE"
        case .patch: "PATCH"
        case .other: nil
        }
    }
}

/// Where a message body ends (RFC 9112 §6.3).
public enum HTTPBodyFraming: Equatable, Sendable {
    /// No body: the next message starts right after the head.
    case none
    /// Exactly this many bytes follow (never 0: that is `.none`).
    case contentLength(UInt64)
    /// Chunked transfer coding: run a `ChunkedDecoder` over the bytes to find the end.
    case chunked
    /// Response body runs until the server closes the connection.
    case untilClose
    /// The connection stops being HTTP after the head (2xx to CONNECT, 101 Switching Protocols): relay both ways.
    case tunnel
}
