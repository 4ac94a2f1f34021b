// A read position over the UTF-8 bytes of a TOML document that tracks line numbers as it moves.
// TOML's syntax is all ASCII, so the parser works on bytes; non-ASCII only appears inside strings,
// comments and quoted keys, where it is copied through unchanged.

struct TOMLCursor {
    let bytes: [UInt8]
    let file: String
    private(set) var offset = 0
    private(set) var line = 1
    private var lineStart = 0
    /// 1-based, in Unicode scalars, kept up to date by `advance` so a location costs nothing.
    private var column = 1

    init(text: String, file: String) {
        self.bytes = Array(text.utf8)
        self.file = file
    }

    var isAtEnd: Bool { offset >= bytes.count }

    /// The byte at `offset + ahead`, or nil past the end.
    func peek(_ ahead: Int = 0) -> UInt8? {
        let index = offset + ahead
        return index < bytes.count ? bytes[index] : nil
    }

    /// Whether the bytes at the cursor spell `literal`.
    func looksAt(_ literal: String) -> Bool {
        var index = offset
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
        }
        return true
    }

    /// Moves past one byte, counting the line when it is a newline.
    mutating func advance() {
        guard offset < bytes.count else { return }
        if bytes[offset] == UInt8(ascii: "\n") {
            line += 1
            lineStart = offset + 1
            column = 1
        } else if bytes[offset] & 0xC0 != 0x80 {
            // Columns count Unicode scalars: every byte that is not a continuation byte (10xxxxxx).
            column += 1
        }
        offset += 1
    }

    mutating func advance(by count: Int) {
        for _ in 0..<count { advance() }
    }

    /// The current position.
    var location: SourceLocation { SourceLocation(file: file, line: line, column: column) }

    /// Whether only spaces and tabs precede the cursor on its line.
    var isAtLineIndent: Bool {
        bytes[lineStart..<min(offset, bytes.count)].allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    /// Skips spaces and tabs (TOML's only in-line whitespace).
    mutating func skipWhitespace() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
    }

    /// Whether the cursor is at a newline: LF or CRLF.
    var atNewline: Bool {
        peek() == UInt8(ascii: "\n") || (peek() == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n"))
    }

    /// Consumes one LF or CRLF; returns false if the cursor is not at a newline.
    mutating func consumeNewline() -> Bool {
        if peek() == UInt8(ascii: "\n") {
            advance()
            return true
        }
        if peek() == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n") {
            advance(by: 2)
            return true
        }
        return false
    }

    /// Moves to the start of the next line (or the end), without looking at what it skips.
    mutating func skipRestOfLine() {
        while let byte = peek(), byte != UInt8(ascii: "\n") { advance() }
        advance()
    }

    /// The text of bytes[from..<offset] as a String (invalid UTF-8 cannot occur: the input was a String).
    func text(from start: Int) -> String {
        String(decoding: bytes[start..<offset], as: UTF8.self)
    }
}

/// A syntax error that ends the current statement; the parser records it and resumes on the next line.
struct TOMLSyntaxError: Error {
    var location: SourceLocation
    var message: String
}

extension UInt8 {
    /// TOML bare-key characters: A-Z a-z 0-9 _ -
    var isBareKeyByte: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
            || isDecimalDigit || self == UInt8(ascii: "_") || self == UInt8(ascii: "-")
    }

    var isDecimalDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    /// Control characters TOML forbids in strings and comments (tab is allowed).
    var isForbiddenControl: Bool { (self < 0x20 && self != UInt8(ascii: "\t")) || self == 0x7F }
}
