// One header field as byte ranges into the parsed buffer, and the parser of a field section (RFC 9112 §5).
// Names keep their original case and order; the proxy forwards them as they came.

/// A header field line. Both ranges index the buffer the head was parsed from (offset 0 = head start).
public struct HTTPHeaderField: Equatable, Sendable {
    public let name: Range<Int>
    /// The value without leading and trailing whitespace; empty for "Name:".
    public let value: Range<Int>
    /// The whole line without CRLF, for copying a field verbatim.
    public let line: Range<Int>
}

/// Parses field lines up to and including the empty line, validating each and collecting `HTTPMessageFacts`.
struct HTTPFieldSectionParser {
    enum End {
        /// Offset just past the empty line that ends the head.
        case end(Int)
        case incomplete
        case error(HTTPParseError)
    }

    var fields: [HTTPHeaderField] = []
    var facts = HTTPMessageFacts()

    init() {
        fields.reserveCapacity(16)
    }

    /// Parses into `storage`'s buffer (emptied, capacity kept): a caller that keeps the array between heads
    /// parses without a heap allocation once the head it gave the buffer to has gone (issue 18). Hand the
    /// buffer back with `returnStorage(to:)`.
    init(reusing storage: inout [HTTPHeaderField]) {
        swap(&fields, &storage)
        fields.removeAll(keepingCapacity: true)
        if fields.capacity == 0 { fields.reserveCapacity(16) }
    }

    /// Gives the field buffer back to the caller's storage (shared with a head made from it: the next
    /// `init(reusing:)` copies only if that head is still alive).
    func returnStorage(to storage: inout [HTTPHeaderField]) {
        storage = fields
    }

    mutating func parse(_ scanner: HTTPLineScanner, from start: Int) -> End {
        let p = scanner.p
        var position = start
        while true {
            let range: Range<Int>
            switch scanner.line(from: position) {
            case .incomplete: return .incomplete
            case .error(let e): return .error(e)
            case .line(let r, let next):
                range = r
                position = next
            }
            if range.isEmpty { return .end(position) }
            if let error = parseField(p, range, limits: scanner.limits) { return .error(error) }
        }
    }

    /// field-line = field-name ":" OWS field-value OWS, with nothing between name and colon.
    private mutating func parseField(_ p: UnsafeRawBufferPointer, _ line: Range<Int>,
                                     limits: HTTPParseLimits) -> HTTPParseError? {
        if HTTPASCII.isWhitespace(p[line.lowerBound]) { return .obsoleteLineFolding(offset: line.lowerBound) }
        var colon = line.lowerBound
        while colon < line.upperBound, HTTPASCII.isTokenByte(p[colon]) { colon += 1 }
        guard colon < line.upperBound, colon > line.lowerBound, p[colon] == HTTPASCII.colon else {
            return .invalidFieldName(offset: colon)
        }
        // The value eight bytes at a time while none is a control byte or DEL; from the first word that
        // holds one (a TAB, usually), byte by byte.
        var i = colon + 1
        while i + 8 <= line.upperBound {
            let w = HTTPASCII.word(p, at: i)
            if HTTPASCII.bytesBelow(0x20, in: w) | HTTPASCII.bytesBelow(1, in: w ^ 0x7F7F_7F7F_7F7F_7F7F) != 0 { break }
            i += 8
        }
        while i < line.upperBound {
            if !HTTPASCII.isFieldValueByte(p[i]) { return .invalidFieldValue(offset: i) }
            i += 1
        }
        guard fields.count < limits.maxFieldCount else { return .tooManyFields }
        let field = HTTPHeaderField(name: line.lowerBound..<colon,
                                    value: HTTPASCII.trimmed(p, (colon + 1)..<line.upperBound), line: line)
        fields.append(field)
        return facts.record(field, in: p)
    }
}
