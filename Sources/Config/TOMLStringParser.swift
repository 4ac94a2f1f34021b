// TOML's four string forms (TOML 1.0 "String"): basic "…" with escapes, literal '…' taken verbatim,
// and their multi-line forms """…""" and '''…'''. A bad escape or control character is recorded and
// skipped so the statement still completes; a missing closing quote ends the statement.

extension TOMLDocumentParser {
    /// `"…"` on one line, with escapes. The cursor is on the opening quote.
    mutating func parseBasicString() throws(TOMLSyntaxError) -> String {
        cursor.advance()
        var buffer: [UInt8] = []
        while true {
            guard let byte = cursor.peek(), byte != UInt8(ascii: "\n"), !cursor.atNewline else {
                throw syntaxError("expected '\"' to close the string before the end of the line")
            }
            switch byte {
            case UInt8(ascii: "\""):
                cursor.advance()
                return String(decoding: buffer, as: UTF8.self)
            case UInt8(ascii: "\\"):
                parseEscape(into: &buffer)
            default:
                appendVerbatim(byte, into: &buffer)
            }
        }
    }

    /// `'…'` on one line, no escapes. The cursor is on the opening quote.
    mutating func parseLiteralString() throws(TOMLSyntaxError) -> String {
        cursor.advance()
        var buffer: [UInt8] = []
        while true {
            guard let byte = cursor.peek(), !cursor.atNewline, byte != UInt8(ascii: "\n") else {
                throw syntaxError("expected \"'\" to close the literal string before the end of the line")
            }
            if byte == UInt8(ascii: "'") {
                cursor.advance()
                return String(decoding: buffer, as: UTF8.self)
            }
            appendVerbatim(byte, into: &buffer)
        }
    }

    /// `"""…"""`: a newline right after the opening quotes is dropped; a backslash at the end of a line
    /// removes it and all whitespace and newlines that follow; up to two quotes may touch the closing ones.
    mutating func parseMultilineBasicString() throws(TOMLSyntaxError) -> String {
        try parseMultiline(quote: UInt8(ascii: "\""), escapes: true,
                           unclosed: "expected '\"\"\"' to close the multi-line string opened here")
    }

    /// `'''…'''`: verbatim, including newlines; a newline right after the opening quotes is dropped.
    mutating func parseMultilineLiteralString() throws(TOMLSyntaxError) -> String {
        try parseMultiline(quote: UInt8(ascii: "'"), escapes: false,
                           unclosed: "expected \"'''\" to close the multi-line literal string opened here")
    }

    /// The two multi-line forms differ only in their quote and whether backslashes escape; newlines are
    /// kept as "\n" (CRLF included).
    private mutating func parseMultiline(quote: UInt8, escapes: Bool, unclosed: String) throws(TOMLSyntaxError) -> String {
        let opening = cursor.location
        cursor.advance(by: 3)
        _ = cursor.consumeNewline()
        var buffer: [UInt8] = []
        while true {
            guard let byte = cursor.peek() else { throw TOMLSyntaxError(location: opening, message: unclosed) }
            if byte == quote && cursor.peek(1) == quote && cursor.peek(2) == quote {
                if try closeMultiline(quote: byte, into: &buffer) { return String(decoding: buffer, as: UTF8.self) }
            } else if escapes && byte == UInt8(ascii: "\\") {
                if !skipLineEndingBackslash() { parseEscape(into: &buffer) }
            } else if cursor.atNewline {
                if byte == UInt8(ascii: "\r") { cursor.advance() }
                cursor.advance()
                buffer.append(UInt8(ascii: "\n"))
            } else {
                appendVerbatim(byte, into: &buffer)
            }
        }
    }

    /// At a run of three or more quotes: the last three close the string and up to two before them are
    /// content (`"""a"""""` is `a""`). Six or more in a row cannot be written that way.
    private mutating func closeMultiline(quote: UInt8, into buffer: inout [UInt8]) throws(TOMLSyntaxError) -> Bool {
        var run = 0
        while cursor.peek(run) == quote { run += 1 }
        guard run <= 5 else {
            throw syntaxError("expected at most five quotes in a row at the end of a multi-line string")
        }
        buffer.append(contentsOf: repeatElement(quote, count: run - 3))
        cursor.advance(by: run)
        return true
    }

    /// A backslash followed only by whitespace up to the end of the line: skips it and all following
    /// whitespace and newlines. Returns false (consuming nothing) for an ordinary escape.
    private mutating func skipLineEndingBackslash() -> Bool {
        var ahead = 1
        while cursor.peek(ahead) == UInt8(ascii: " ") || cursor.peek(ahead) == UInt8(ascii: "\t") { ahead += 1 }
        let isLineEnd = cursor.peek(ahead) == UInt8(ascii: "\n")
            || (cursor.peek(ahead) == UInt8(ascii: "\r") && cursor.peek(ahead + 1) == UInt8(ascii: "\n"))
        guard isLineEnd else { return false }
        cursor.advance(by: ahead)
        while true {
            cursor.skipWhitespace()
            if !cursor.consumeNewline() { return true }
        }
    }

    /// One escape sequence at the cursor (on the backslash). Bad escapes are recorded and dropped.
    private mutating func parseEscape(into buffer: inout [UInt8]) {
        let location = cursor.location
        cursor.advance()
        guard let letter = cursor.peek(), !cursor.atNewline else {
            record(location, "expected an escape character after '\\'")
            return
        }
        cursor.advance()
        let simple: UInt8?
        switch letter {
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "u"): simple = nil; parseUnicodeEscape(digits: 4, at: location, into: &buffer)
        case UInt8(ascii: "U"): simple = nil; parseUnicodeEscape(digits: 8, at: location, into: &buffer)
        default:
            simple = nil
            let shown = letter < 0x80 && !letter.isForbiddenControl ? String(UnicodeScalar(letter)) : "?"
            record(location, "invalid escape '\\\(shown)'; expected one of \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX")
        }
        if let simple { buffer.append(simple) }
    }

    /// `\uXXXX` / `\UXXXXXXXX`: the hex digits must name a Unicode scalar value (not a surrogate).
    private mutating func parseUnicodeEscape(digits: Int, at location: SourceLocation, into buffer: inout [UInt8]) {
        var value: UInt32 = 0
        for index in 0..<digits {
            guard let byte = cursor.peek(), let digit = Self.hexValue(byte) else {
                record(location, "expected \(digits) hex digits after '\\\(digits == 4 ? "u" : "U")', found \(index)")
                return
            }
            value = value << 4 | UInt32(digit)
            cursor.advance()
        }
        guard let scalar = Unicode.Scalar(value) else {
            record(location, "escape names U+\(String(value, radix: 16, uppercase: true)), which is not a Unicode scalar value")
            return
        }
        buffer.append(contentsOf: String(Character(scalar)).utf8)
    }

    /// Copies one content byte; control characters other than tab are reported and dropped.
    private mutating func appendVerbatim(_ byte: UInt8, into buffer: inout [UInt8]) {
        if byte.isForbiddenControl {
            record(cursor.location, "control character U+\(String(byte, radix: 16, uppercase: true)) in string; expected it escaped")
        } else {
            buffer.append(byte)
        }
        cursor.advance()
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
