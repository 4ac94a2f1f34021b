// JSONParser: a small strict RFC 8259 parser, bytes in, `JSONValue` out.
//
// Strict means: exactly one value surrounded by optional whitespace (space, tab, LF, CR); no comments, no
// trailing commas, no leading zeros or "+1" or ".5", no NaN/Infinity; strings must be valid UTF-8 (no
// overlong forms, no encoded surrogates, nothing past U+10FFFF), control characters must be escaped, and
// `\u` escapes must pair surrogates correctly. Nesting deeper than `maxDepth` is refused so that hostile
// input cannot exhaust the stack. Every failure is a `JSONParseError` with the byte offset; nothing traps.

public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidNumber
        case numberOutOfRange
        case invalidEscape
        case invalidUnicodeEscape
        case loneSurrogate
        case unescapedControlCharacter(UInt8)
        case invalidUTF8
        case tooDeep(limit: Int)
        case trailingData
    }

    public var kind: Kind
    /// Offset of the offending byte from the start of the input.
    public var offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch kind {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let byte): what = "unexpected \(Self.show(byte))"
        case .invalidNumber: what = "malformed number"
        case .numberOutOfRange: what = "number out of range"
        case .invalidEscape: what = "invalid escape sequence in string"
        case .invalidUnicodeEscape: what = "invalid \\u escape (needs 4 hex digits)"
        case .loneSurrogate: what = "unpaired UTF-16 surrogate in \\u escape"
        case .unescapedControlCharacter(let byte): what = "unescaped control character \(Self.show(byte)) in string"
        case .invalidUTF8: what = "invalid UTF-8"
        case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
        case .trailingData: what = "unexpected data after the JSON value"
        }
        return "JSON error at byte \(offset): \(what)"
    }

    private static func show(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count < 2 ? "0" + hex : hex)
    }
}

public struct JSONParser {
    public static let defaultMaxDepth = 128

    /// Parses `bytes` as one complete JSON document.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else {
            throw JSONParseError(.trailingData, at: parser.position)
        }
        return value
    }

    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    // Internal rather than private: the string half of the parser lives in JSONParser+Strings.swift.
    let bytes: [UInt8]
    private let maxDepth: Int
    var position = 0
    /// Reused for strings that contain escapes, so each such string costs one buffer, not one per escape.
    var scratch: [UInt8] = []

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    // MARK: Values

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard position < bytes.count else { throw JSONParseError(.unexpectedEnd, at: position) }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case let byte: throw JSONParseError(.unexpectedByte(byte), at: position)
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw JSONParseError(.tooDeep(limit: maxDepth), at: position) }
        position += 1  // {
        var members: [JSONMember] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let byte = try peek()
            guard byte == UInt8(ascii: "\"") else { throw JSONParseError(.unexpectedByte(byte), at: position) }
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append(JSONMember(key, value))
            skipWhitespace()
            let separator = try peek()
            position += 1
            if separator == UInt8(ascii: "}") { return .object(members) }
            guard separator == UInt8(ascii: ",") else {
                throw JSONParseError(.unexpectedByte(separator), at: position - 1)
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw JSONParseError(.tooDeep(limit: maxDepth), at: position) }
        position += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            let separator = try peek()
            position += 1
            if separator == UInt8(ascii: "]") { return .array(elements) }
            guard separator == UInt8(ascii: ",") else {
                throw JSONParseError(.unexpectedByte(separator), at: position - 1)
            }
        }
    }

    // MARK: Numbers

    /// number = [ "-" ] int [ frac ] [ exp ]  (RFC 8259 section 6)
    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        var isInteger = true
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw JSONParseError(.unexpectedEnd, at: position) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1  // a leading zero stands alone: "01" leaves "1" as trailing data
        } else if isDigit(bytes[position]) {
            skipDigits()
        } else {
            throw JSONParseError(.invalidNumber, at: position)
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw JSONParseError(.invalidNumber, at: position)
            }
            skipDigits()
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw JSONParseError(.invalidNumber, at: position)
            }
            skipDigits()
        }
        if isInteger, let exact = integerValue(start..<position) {
            return .int(exact)
        }
        // The text is a validated JSON number, which Swift's locale-independent parser accepts.
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            throw JSONParseError(.numberOutOfRange, at: start)
        }
        return .double(number)
    }

    /// The exact Int64 for an integer literal, or nil when it overflows (the caller then falls back to Double).
    private func integerValue(_ range: Range<Int>) -> Int64? {
        var index = range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var magnitude: UInt64 = 0
        while index < range.upperBound {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] &- 0x30))
            if overflow1 || overflow2 { return nil }
            magnitude = sum
            index += 1
        }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            return magnitude <= UInt64(Int64.max) ? -Int64(magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    // MARK: Small steps

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw JSONParseError(.unexpectedEnd, at: position) }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where bytes[position + offset] != expected[offset] {
            throw JSONParseError(.unexpectedByte(bytes[position + offset]), at: position + offset)
        }
        position += count
    }

    private mutating func expect(_ byte: UInt8) throws(JSONParseError) {
        let found = try peek()
        guard found == byte else { throw JSONParseError(.unexpectedByte(found), at: position) }
        position += 1
    }

    func peek() throws(JSONParseError) -> UInt8 {
        guard position < bytes.count else { throw JSONParseError(.unexpectedEnd, at: position) }
        return bytes[position]
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func skipDigits() {
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
