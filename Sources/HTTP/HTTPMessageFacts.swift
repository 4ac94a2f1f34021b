// What the proxy needs to know about a head without searching its fields again: framing (Content-Length,
// Transfer-Encoding), Host, Connection options, Upgrade, Expect and TE. Collected field by field while parsing;
// the checks that need the whole section (CL with TE, Host count) are made by the head parsers.

/// Connection options (RFC 9112 §9.6) that change how the proxy treats the connection.
public struct HTTPConnectionOptions: OptionSet, Equatable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let close = HTTPConnectionOptions(rawValue: 1)
    public static let keepAlive = HTTPConnectionOptions(rawValue: 2)
    public static let upgrade = HTTPConnectionOptions(rawValue: 4)
}

/// Summary of the fields of one head. Ranges index the parsed buffer and hold trimmed values.
public struct HTTPMessageFacts: Equatable, Sendable {
    /// Value of the first Host field, and how many there were.
    public private(set) var host: Range<Int>?
    public private(set) var hostCount = 0
    /// Content-Length after duplicate values were reconciled, and the first field's value.
    public private(set) var contentLength: UInt64?
    var contentLengthField: Range<Int>?
    /// Value of the first Transfer-Encoding field (all of them are validated together).
    public private(set) var transferEncoding: Range<Int>?
    public private(set) var connection: HTTPConnectionOptions = []
    public private(set) var upgrade: Range<Int>?
    public private(set) var expect: Range<Int>?
    /// True when an Expect field says exactly "100-continue" (case-insensitive).
    public private(set) var expectsContinue = false
    /// The TE field (request: which transfer codings the client accepts, e.g. "trailers").
    public private(set) var te: Range<Int>?

    // Transfer-Encoding, over all its fields as one list (RFC 9110 §5.3).
    var codingCount = 0
    var finalCodingIsChunked = false
    var malformedCodingOffset: Int?

    /// Records one field; returns the error when the field on its own is invalid.
    mutating func record(_ field: HTTPHeaderField, in p: UnsafeRawBufferPointer) -> HTTPParseError? {
        let name = UnsafeRawBufferPointer(rebasing: p[field.name])
        switch name.count {
        case 4 where HTTPASCII.equalsIgnoringCase(name, "host"):
            hostCount += 1
            if host == nil { host = field.value }
        case 14 where HTTPASCII.equalsIgnoringCase(name, "content-length"):
            return recordContentLength(field.value, p)
        case 17 where HTTPASCII.equalsIgnoringCase(name, "transfer-encoding"):
            if transferEncoding == nil { transferEncoding = field.value }
            recordTransferEncoding(field.value, p)
        case 10 where HTTPASCII.equalsIgnoringCase(name, "connection"):
            HTTPASCII.forEachListElement(p, field.value) { element in
                let token = UnsafeRawBufferPointer(rebasing: p[element])
                if HTTPASCII.equalsIgnoringCase(token, "close") { connection.insert(.close) }
                else if HTTPASCII.equalsIgnoringCase(token, "keep-alive") { connection.insert(.keepAlive) }
                else if HTTPASCII.equalsIgnoringCase(token, "upgrade") { connection.insert(.upgrade) }
            }
        case 7 where HTTPASCII.equalsIgnoringCase(name, "upgrade"):
            if upgrade == nil { upgrade = field.value }
        case 6 where HTTPASCII.equalsIgnoringCase(name, "expect"):
            if expect == nil { expect = field.value }
            if HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: p[field.value]), "100-continue") {
                expectsContinue = true
            }
        case 2 where HTTPASCII.equalsIgnoringCase(name, "te"):
            if te == nil { te = field.value }
        default:
            break
        }
        return nil
    }

    /// Content-Length = 1*DIGIT, as Go reads it (net/http transfer.go, fixLength): repeated fields must be
    /// byte-identical and count as one; a comma list, a sign, spaces inside, an empty value or overflow is
    /// an error (RFC 9110 §8.6 lets a recipient refuse what it cannot trust). Go answers 400 to a client and
    /// 502 for a backend's response; either way no ambiguous framing is passed on.
    private mutating func recordContentLength(_ value: Range<Int>, _ p: UnsafeRawBufferPointer) -> HTTPParseError? {
        if let first = contentLengthField {
            let same = first.count == value.count && zip(first, value).allSatisfy { p[$0] == p[$1] }
            return same ? nil : .conflictingContentLength(offset: value.lowerBound)
        }
        guard let n = Self.decimal(p, value) else { return .invalidContentLength(offset: value.lowerBound) }
        contentLengthField = value
        contentLength = n
        return nil
    }

    /// 1*DIGIT not above Int64.max (Go's limit), or nil. Leading zeros are allowed, as strconv allows them.
    static func decimal(_ p: UnsafeRawBufferPointer, _ range: Range<Int>) -> UInt64? {
        guard !range.isEmpty else { return nil }
        var first = range.lowerBound
        while first < range.upperBound - 1, p[first] == UInt8(ascii: "0") { first += 1 }
        guard range.upperBound - first <= 19 else { return nil }
        var n: UInt64 = 0
        for i in first..<range.upperBound {
            let d = p[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            n = n * 10 + UInt64(d)
        }
        return n <= UInt64(Int64.max) ? n : nil
    }

    private mutating func recordTransferEncoding(_ value: Range<Int>, _ p: UnsafeRawBufferPointer) {
        HTTPASCII.forEachListElement(p, value) { element in
            codingCount += 1
            let valid = !element.isEmpty && element.allSatisfy { HTTPASCII.isTokenByte(p[$0]) }
            if !valid, malformedCodingOffset == nil { malformedCodingOffset = element.lowerBound }
            finalCodingIsChunked = HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: p[element]), "chunked")
        }
    }
}
