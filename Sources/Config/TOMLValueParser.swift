// TOML values: dispatch on the first character, arrays and inline tables. Strings are in
// TOMLStringParser.swift, numbers, booleans and datetimes in TOMLScalarParser.swift.

extension TOMLDocumentParser {
    /// Parses one value at the cursor. Throws when no value can be read; the caller abandons the statement.
    mutating func parseValue() throws(TOMLSyntaxError) -> TOMLNode {
        let location = cursor.location
        let value: TOMLValue
        switch cursor.peek() {
        case UInt8(ascii: "\""):
            value = .string(try cursor.looksAt("\"\"\"") ? parseMultilineBasicString() : parseBasicString())
        case UInt8(ascii: "'"):
            value = .string(try cursor.looksAt("'''") ? parseMultilineLiteralString() : parseLiteralString())
        case UInt8(ascii: "["):
            value = try parseArray()
        case UInt8(ascii: "{"):
            value = try parseInlineTable(at: location)
        case let byte? where byte.isBareKeyByte || byte == UInt8(ascii: "+"):
            value = try parseScalarToken()
        default:
            throw syntaxError("expected a value (string, number, boolean, datetime, array or inline table)")
        }
        return TOMLNode(value: value, location: location)
    }

    /// A bare token: true/false, a number, inf/nan, or a date/time (whose date and time may be separated
    /// by one space, so that space is taken into the token when a time follows it).
    private mutating func parseScalarToken() throws(TOMLSyntaxError) -> TOMLValue {
        let location = cursor.location
        let start = cursor.offset
        while let byte = cursor.peek(), Self.isScalarByte(byte) { cursor.advance() }
        if cursor.offset - start == 10, cursor.peek() == UInt8(ascii: " "),
           cursor.peek(1)?.isDecimalDigit == true, cursor.peek(2)?.isDecimalDigit == true, cursor.peek(3) == UInt8(ascii: ":") {
            cursor.advance()
            while let byte = cursor.peek(), Self.isScalarByte(byte) { cursor.advance() }
        }
        let token = cursor.text(from: start)
        switch TOMLScalar.classify(token) {
        case .success(let value): return value
        case .failure(let problem): throw TOMLSyntaxError(location: location, message: problem.message)
        }
    }

    private static func isScalarByte(_ byte: UInt8) -> Bool {
        byte.isBareKeyByte || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }

    /// `[ v, v, ]`: may span lines, hold comments, mix types, and end with a comma.
    private mutating func parseArray() throws(TOMLSyntaxError) -> TOMLValue {
        try enterNesting()
        openArrays += 1
        let opening = cursor.location
        cursor.advance()
        var elements: [TOMLNode] = []
        while true {
            try skipArraySpace()
            if cursor.peek() == UInt8(ascii: "]") { break }
            elements.append(try parseValue())
            try skipArraySpace()
            if cursor.peek() == UInt8(ascii: ",") {
                cursor.advance()
                continue
            }
            guard cursor.peek() == UInt8(ascii: "]") else {
                if cursor.isAtEnd || (cursor.line > opening.line && cursor.isAtLineIndent && Self.startsStatement(cursor)) {
                    throw TOMLSyntaxError(location: opening, message: "expected ']' to close the array opened here")
                }
                throw syntaxError("expected ',' or ']' after an array element")
            }
            break
        }
        cursor.advance()
        openArrays -= 1
        nesting -= 1
        return .array(elements)
    }

    /// Whitespace, newlines and comments between array elements.
    private mutating func skipArraySpace() throws(TOMLSyntaxError) {
        while true {
            cursor.skipWhitespace()
            if cursor.peek() == UInt8(ascii: "#") { skipComment() }
            if cursor.consumeNewline() { continue }
            if cursor.peek() == UInt8(ascii: "\r") { throw syntaxError("expected a newline; a carriage return must be followed by a line feed") }
            return
        }
    }

    /// `{ k = v, k.k = v }`: one line only, no trailing comma (TOML 1.0). Its keys follow the same
    /// define-once rules as a document, and the table is closed to additions afterwards.
    private mutating func parseInlineTable(at location: SourceLocation) throws(TOMLSyntaxError) -> TOMLValue {
        try enterNesting()
        openInlineTables += 1
        cursor.advance()
        let table = TOMLTableBuilder(origin: .dotted, location: location)
        cursor.skipWhitespace()
        if cursor.peek() == UInt8(ascii: "}") {
            cursor.advance()
            nesting -= 1
            openInlineTables -= 1
            return .table(table.freeze())
        }
        while true {
            cursor.skipWhitespace()
            if cursor.peek() == UInt8(ascii: "}") {
                throw syntaxError("expected a key after ','; inline tables cannot end with a comma")
            }
            if cursor.atNewline || cursor.isAtEnd {
                throw syntaxError("expected a key; an inline table must be on one line")
            }
            try parseKeyValue(into: table)
            cursor.skipWhitespace()
            if cursor.peek() == UInt8(ascii: ",") {
                cursor.advance()
                continue
            }
            guard cursor.peek() == UInt8(ascii: "}") else {
                throw syntaxError(cursor.atNewline || cursor.isAtEnd
                    ? "expected '}' to close the inline table on the same line"
                    : "expected ',' or '}' after a value in the inline table")
            }
            cursor.advance()
            nesting -= 1
            openInlineTables -= 1
            return .table(table.freeze())
        }
    }

    private mutating func enterNesting() throws(TOMLSyntaxError) {
        guard nesting < Self.maximumNesting else {
            throw syntaxError("arrays and inline tables nested more than \(Self.maximumNesting) deep")
        }
        nesting += 1
    }
}
