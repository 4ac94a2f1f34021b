// TOML 1.0 document parser: statements (headers and key/value lines), and error recovery.
//
// Recovery is per statement: a syntax error is recorded with its file:line:col and the parser resumes at
// the next line, so a file with three independent mistakes reports three errors. Redefinitions and bad
// escapes are recorded without abandoning the statement. After an error inside a multi-line array the
// parser skips ahead to the next line that looks like a statement (`key =` or `[table]`), so one broken
// array yields one error rather than one per remaining element.

/// Parses TOML text into a table tree.
public enum TOMLParser {
    /// Parses `text`; `file` is used only in locations. Always returns the table built from the valid
    /// statements plus every error found, in file order; the table is complete only when the list is empty.
    public static func parse(_ text: String, file: String) -> (TOMLTable, [ConfigError]) {
        var parser = TOMLDocumentParser(text: text, file: file)
        return parser.parseDocument()
    }
}

struct TOMLDocumentParser {
    /// Deepest nesting of arrays and inline tables accepted: keeps hostile input from exhausting the stack.
    static let maximumNesting = 64
    /// Longest dotted key or header path accepted, for the same reason (tables are built recursively).
    static let maximumKeyParts = 64

    var cursor: TOMLCursor
    var errors: [ConfigError] = []
    /// Arrays and inline tables currently open, while parsing a value.
    var nesting = 0
    /// Arrays currently open: only arrays may span lines, so only they need multi-line recovery.
    var openArrays = 0
    /// Inline tables currently open: TOML 1.1 lets them span lines, so users may write them that way.
    var openInlineTables = 0
    private let root: TOMLTableBuilder
    private var current: TOMLTableBuilder

    init(text: String, file: String) {
        cursor = TOMLCursor(text: text, file: file)
        root = TOMLTableBuilder(origin: .root, location: SourceLocation(file: file, line: 1, column: 1))
        current = root
    }

    mutating func parseDocument() -> (TOMLTable, [ConfigError]) {
        // A byte-order mark is tolerated at the very start, as editors on some systems write one.
        if cursor.looksAt("\u{FEFF}") { cursor.advance(by: 3) }
        while !cursor.isAtEnd {
            nesting = 0
            openArrays = 0
            openInlineTables = 0
            do throws(TOMLSyntaxError) {
                try parseStatement()
            } catch {
                record(error.location, error.message)
                recover()
            }
        }
        return (root.freeze(), errors)
    }

    mutating func record(_ location: SourceLocation, _ message: String) {
        errors.append(ConfigError(location: location, message: message))
    }

    func syntaxError(_ message: String) -> TOMLSyntaxError {
        TOMLSyntaxError(location: cursor.location, message: message)
    }

    /// One line's statement: blank, comment, `[table]`, `[[array]]` or `key = value`, then end of line.
    private mutating func parseStatement() throws(TOMLSyntaxError) {
        cursor.skipWhitespace()
        switch cursor.peek() {
        case UInt8(ascii: "["):
            try parseHeader()
        case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), nil:
            break
        default:
            try parseKeyValue(into: current)
        }
        try expectEndOfLine()
    }

    /// `[a.b]` or `[[a.b]]`: makes the named table current.
    private mutating func parseHeader() throws(TOMLSyntaxError) {
        let location = cursor.location
        cursor.advance()
        let isArray = cursor.peek() == UInt8(ascii: "[")
        if isArray { cursor.advance() }
        // Until the header is known to be valid, keys below it go nowhere rather than into the
        // previous table (which would report them as misplaced).
        current = TOMLTableBuilder(origin: .detached, location: location)
        let path = try parseKey()
        cursor.skipWhitespace()
        let closing = isArray ? "]]" : "]"
        guard cursor.looksAt(closing) else {
            throw syntaxError("expected '\(closing)' to close the table header, or '.' before the next key")
        }
        cursor.advance(by: closing.utf8.count)
        do throws(TOMLTableBuilder.Conflict) {
            current = try root.openHeader(path, isArray: isArray, at: location)
        } catch {
            record(error.location, error.message)
        }
    }

    /// `key = value` (the key may be dotted), stored into `table`. Used for inline tables too.
    mutating func parseKeyValue(into table: TOMLTableBuilder) throws(TOMLSyntaxError) {
        let path = try parseKey()
        cursor.skipWhitespace()
        guard cursor.peek() == UInt8(ascii: "=") else {
            throw syntaxError("expected '=' after the key, or '.' before the next part of a dotted key")
        }
        cursor.advance()
        cursor.skipWhitespace()
        let node = try parseValue()
        do throws(TOMLTableBuilder.Conflict) {
            try table.insert(path, node)
        } catch {
            record(error.location, error.message)
        }
    }

    /// A key: one or more bare or quoted keys joined by dots (whitespace around dots allowed).
    mutating func parseKey() throws(TOMLSyntaxError) -> [TOMLTableBuilder.Key] {
        var path: [TOMLTableBuilder.Key] = []
        while true {
            cursor.skipWhitespace()
            let location = cursor.location
            let name: String
            switch cursor.peek() {
            case UInt8(ascii: "\""):
                guard !cursor.looksAt("\"\"\"") else { throw syntaxError("expected a key; multi-line strings cannot be keys") }
                name = try parseBasicString()
            case UInt8(ascii: "'"):
                guard !cursor.looksAt("'''") else { throw syntaxError("expected a key; multi-line strings cannot be keys") }
                name = try parseLiteralString()
            case let byte? where byte.isBareKeyByte:
                let start = cursor.offset
                while let next = cursor.peek(), next.isBareKeyByte { cursor.advance() }
                name = cursor.text(from: start)
            default:
                throw syntaxError("expected a key (letters, digits, '_', '-', or a quoted string)")
            }
            path.append(TOMLTableBuilder.Key(name: name, location: location))
            guard path.count <= Self.maximumKeyParts else {
                throw syntaxError("expected at most \(Self.maximumKeyParts) parts in a dotted key")
            }
            cursor.skipWhitespace()
            guard cursor.peek() == UInt8(ascii: ".") else { return path }
            cursor.advance()
        }
    }

    /// After a statement: optional whitespace and comment, then a newline or the end of the file.
    private mutating func expectEndOfLine() throws(TOMLSyntaxError) {
        cursor.skipWhitespace()
        if cursor.peek() == UInt8(ascii: "#") { skipComment() }
        if cursor.isAtEnd || cursor.consumeNewline() { return }
        if cursor.peek() == UInt8(ascii: "\r") { throw syntaxError("expected a newline; a carriage return must be followed by a line feed") }
        throw syntaxError("expected the end of the line (or a '#' comment) after the statement")
    }

    /// Skips a `#` comment up to (not including) the newline. Control characters are reported, not fatal.
    mutating func skipComment() {
        while let byte = cursor.peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r") && cursor.peek(1) == UInt8(ascii: "\n") { return }
            if byte.isForbiddenControl { record(cursor.location, "control character in comment; expected printable text") }
            cursor.advance()
        }
    }

    // MARK: - Recovery

    /// Moves past the failed statement: to the next line; past the brace that closes a broken inline
    /// table (which may span lines when written TOML 1.1 style); or, inside a multi-line array, to the
    /// next line that starts a statement (or just past the line that closes the array).
    private mutating func recover() {
        if openInlineTables > 0, let end = Self.endOfBalancedValue(from: cursor, depth: openArrays + openInlineTables) {
            cursor = end
            return
        }
        let insideArray = openArrays > 0
        // An unclosed array reports itself at the first statement after it; resume at that statement.
        if insideArray && cursor.isAtLineIndent && Self.startsStatement(cursor) { return }
        cursor.skipRestOfLine()
        guard insideArray else { return }
        while !cursor.isAtEnd && !Self.startsStatement(cursor) {
            let closesArray = lineClosesArray()
            cursor.skipRestOfLine()
            if closesArray { return }
        }
    }

    /// Scans forward counting brackets and braces (skipping strings and comments) until `depth` open
    /// ones are closed, and returns the position after that line. Nil if a `[table]` line or the end of
    /// the file comes first, i.e. the value was simply never closed.
    private static func endOfBalancedValue(from start: TOMLCursor, depth initialDepth: Int) -> TOMLCursor? {
        var scan = start
        var depth = initialDepth
        while let byte = scan.peek() {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let triple = byte == UInt8(ascii: "\"") ? "\"\"\"" : "'''"
                let isTriple = scan.looksAt(triple)
                scan.advance(by: isTriple ? 3 : 1)
                while let inner = scan.peek() {
                    if isTriple ? scan.looksAt(triple) : inner == byte {
                        scan.advance(by: isTriple ? 3 : 1)
                        break
                    }
                    if !isTriple && inner == UInt8(ascii: "\n") { break }
                    if byte == UInt8(ascii: "\"") && inner == UInt8(ascii: "\\") { scan.advance() }
                    scan.advance()
                }
            case UInt8(ascii: "#"):
                while let inner = scan.peek(), inner != UInt8(ascii: "\n") { scan.advance() }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                scan.advance()
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                scan.advance()
                if depth <= 0 {
                    scan.skipRestOfLine()
                    return scan
                }
            case UInt8(ascii: "\n"):
                scan.advance()
                if lineLooksLikeHeader(scan) { return nil }
            default:
                scan.advance()
            }
        }
        return nil
    }

    /// Whether the line at `line` starts a statement: `[table]`, `[[table]]` or `key =`.
    static func startsStatement(_ line: TOMLCursor) -> Bool {
        lineLooksLikeHeader(line) || lineLooksLikeKeyValue(line)
    }

    /// Whether the line at `line` is `[table]` or `[[table]]`, perhaps with a comment.
    private static func lineLooksLikeHeader(_ line: TOMLCursor) -> Bool {
        var scan = line
        scan.skipWhitespace()
        guard scan.peek() == UInt8(ascii: "[") else { return false }
        scan.advance()
        if scan.peek() == UInt8(ascii: "[") { scan.advance() }
        guard skipKeyLike(&scan), scan.peek() == UInt8(ascii: "]") else { return false }
        scan.advance()
        if scan.peek() == UInt8(ascii: "]") { scan.advance() }
        scan.skipWhitespace()
        return scan.isAtEnd || scan.atNewline || scan.peek() == UInt8(ascii: "#")
    }

    /// Whether the line at `line` starts with `key =`.
    private static func lineLooksLikeKeyValue(_ line: TOMLCursor) -> Bool {
        var scan = line
        scan.skipWhitespace()
        return skipKeyLike(&scan) && scan.peek() == UInt8(ascii: "=")
    }

    /// Whether the line at the cursor is just `]` (closing a broken multi-line array), perhaps with a comment.
    private func lineClosesArray() -> Bool {
        var scan = cursor
        scan.skipWhitespace()
        while scan.peek() == UInt8(ascii: "]") { scan.advance(); scan.skipWhitespace() }
        return scan.offset > cursor.offset && (scan.isAtEnd || scan.atNewline || scan.peek() == UInt8(ascii: "#"))
            && cursor.bytes[cursor.offset..<scan.offset].contains(UInt8(ascii: "]"))
    }

    /// Skips bare keys, quoted keys, dots and whitespace; false if nothing key-like was there.
    private static func skipKeyLike(_ scan: inout TOMLCursor) -> Bool {
        let start = scan.offset
        while let byte = scan.peek() {
            if byte.isBareKeyByte || byte == UInt8(ascii: ".") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                scan.advance()
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                scan.advance()
                while let inner = scan.peek(), inner != byte, inner != UInt8(ascii: "\n") { scan.advance() }
                guard scan.peek() == byte else { return false }
                scan.advance()
            } else {
                break
            }
        }
        return scan.offset > start
    }
}
