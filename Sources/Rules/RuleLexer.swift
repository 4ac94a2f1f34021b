// Splits a rule into tokens. Traefik hands rules to Go's expression parser (via vulcand/predicate), so the
// lexical rules are Go's: `raw` strings in backticks (no escapes, may span lines, "\r" dropped), "interpreted"
// strings in double quotes with Go escapes (\" \\ \n \t \xHH \uHHHH ...), identifiers, && || ! ( ) ,.
// Single-quoted values are Go rune literals and are refused, as in Traefik.
struct RuleToken {
    enum Kind: Equatable {
        case identifier(String)
        case string(String)
        case leftParen, rightParen, comma, and, or, not, end
    }
    let kind: Kind
    /// Byte offset of the token's first byte.
    let offset: Int
    /// For strings: byte offset of the first content byte (after the quote), so regex errors can point inside.
    let contentOffset: Int

    /// How Go's parser names a token in "expected X, found Y".
    var found: String {
        switch kind {
        case .identifier(let name): return name
        case .string: return "string literal"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .comma: return "','"
        case .and: return "'&&'"
        case .or: return "'||'"
        case .not: return "'!'"
        case .end: return "'EOF'"
        }
    }
}

struct RuleLexer {
    let rule: String
    private let bytes: [UInt8]
    private var index = 0

    init(_ rule: String) {
        self.rule = rule
        self.bytes = Array(rule.utf8)
    }

    mutating func next() throws(RuleParseError) -> RuleToken {
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        let start = index
        guard index < bytes.count else { return RuleToken(kind: .end, offset: start, contentOffset: start) }
        let c = bytes[index]
        index += 1
        switch c {
        case UInt8(ascii: "("): return token(.leftParen, start)
        case UInt8(ascii: ")"): return token(.rightParen, start)
        case UInt8(ascii: ","): return token(.comma, start)
        case UInt8(ascii: "!"): return token(.not, start)
        case UInt8(ascii: "&"), UInt8(ascii: "|"):
            guard index < bytes.count, bytes[index] == c else {
                throw error(start, "unsupported operator: \(Character(Unicode.Scalar(c)))")
            }
            index += 1
            return token(c == UInt8(ascii: "&") ? .and : .or, start)
        case UInt8(ascii: "`"): return try rawString(start)
        case UInt8(ascii: "\""): return try interpretedString(start)
        case UInt8(ascii: "'"):
            throw error(start, "illegal rune literal: values must be quoted with backticks or double quotes")
        default:
            guard isWord(c) else { throw error(start, "illegal character \(describeCharacter(at: start))") }
            while index < bytes.count, isWord(bytes[index]) { index += 1 }
            let name = String(decoding: bytes[start..<index], as: UTF8.self)
            return token(.identifier(name), start)
        }
    }

    private func token(_ kind: RuleToken.Kind, _ start: Int) -> RuleToken {
        RuleToken(kind: kind, offset: start, contentOffset: start)
    }

    private mutating func rawString(_ start: Int) throws(RuleParseError) -> RuleToken {
        var value: [UInt8] = []
        while index < bytes.count {
            let c = bytes[index]
            index += 1
            if c == UInt8(ascii: "`") {
                return RuleToken(kind: .string(String(decoding: value, as: UTF8.self)), offset: start,
                                 contentOffset: start + 1)
            }
            if c != UInt8(ascii: "\r") { value.append(c) }  // Go drops carriage returns from raw strings
        }
        throw error(start, "raw string literal not terminated")
    }

    private mutating func interpretedString(_ start: Int) throws(RuleParseError) -> RuleToken {
        var value: [UInt8] = []
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\n") { break }
            index += 1
            if c == UInt8(ascii: "\"") {
                return RuleToken(kind: .string(String(decoding: value, as: UTF8.self)), offset: start,
                                 contentOffset: start + 1)
            }
            if c == UInt8(ascii: "\\") {
                try escape(into: &value)
            } else {
                value.append(c)
            }
        }
        throw error(start, "string literal not terminated")
    }

    /// Decodes one Go escape after a backslash inside "...". Reference: Go spec, "Rune literals".
    private mutating func escape(into value: inout [UInt8]) throws(RuleParseError) {
        let at = index - 1
        guard index < bytes.count else { throw error(at, "escape sequence not terminated") }
        let e = bytes[index]
        index += 1
        switch e {
        case UInt8(ascii: "a"): value.append(7)
        case UInt8(ascii: "b"): value.append(8)
        case UInt8(ascii: "f"): value.append(12)
        case UInt8(ascii: "n"): value.append(10)
        case UInt8(ascii: "r"): value.append(13)
        case UInt8(ascii: "t"): value.append(9)
        case UInt8(ascii: "v"): value.append(11)
        case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(e)
        case UInt8(ascii: "x"): value.append(UInt8(try digits(2, radix: 16, at: at)))
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            index -= 1
            let octal = try digits(3, radix: 8, at: at)
            guard octal <= 255 else { throw error(at, "octal escape value \(octal) > 255") }
            value.append(UInt8(octal))
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let code = try digits(e == UInt8(ascii: "u") ? 4 : 8, radix: 16, at: at)
            guard let scalar = Unicode.Scalar(code) else {
                throw error(at, "escape sequence is invalid Unicode code point")
            }
            value.append(contentsOf: String(Character(scalar)).utf8)
        default:
            throw error(at, "unknown escape sequence")
        }
    }

    private mutating func digits(_ count: Int, radix: UInt32, at: Int) throws(RuleParseError) -> UInt32 {
        var result: UInt32 = 0
        for _ in 0..<count {
            guard index < bytes.count, let digit = digitValue(bytes[index]), digit < radix else {
                throw error(at, "illegal character in escape sequence")
            }
            result = result &* radix &+ digit
            index += 1
        }
        return result
    }

    private func digitValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Go's wording: `U+0023 '#'`.
    private func describeCharacter(at offset: Int) -> String {
        let tail = String(decoding: bytes[offset..<min(bytes.count, offset + 4)], as: UTF8.self)
        guard let scalar = tail.unicodeScalars.first else { return "" }
        var hex = String(scalar.value, radix: 16, uppercase: true)
        while hex.count < 4 { hex = "0" + hex }
        return "U+\(hex) '\(Character(scalar))'"
    }

    private func isSpace(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r")
    }

    private func isWord(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_")
    }

    func error(_ offset: Int, _ message: String) -> RuleParseError {
        RuleParseError(rule: rule, offset: offset, message)
    }
}
