// Splits a Go text/template (the subset GoTemplate expands, see GoTemplate.swift) into text and actions,
// and an action into tokens. Follows Go's text/template/parse/lex.go where it matters for real files:
// `{{-` / `-}}` trim the whitespace beside them only when a space follows / precedes the dash (else
// `{{-3}}` is the number -3), comments are `{{/* ... */}}`, strings are "interpreted" or `raw`.

struct GoTemplatePiece {
    enum Kind {
        case text(String)
        case action([GoTemplateToken])
    }

    let kind: Kind
    /// 1-based line of the piece's first byte, for errors.
    let line: Int
}

enum GoTemplateToken: Equatable {
    case string(String)
    case number(Int)
    case identifier(String)     // function or keyword: if, range, end, else, with, true, false, nil
    case variable(String)       // "$" or "$name"
    case dot                    // `.`
    case field(String)          // `.Name`
    case leftParen, rightParen, pipe, declare, assign, comma
}

struct GoTemplateError: Error, CustomStringConvertible {
    let line: Int
    let message: String
    var description: String { "line \(line): template: \(message)" }
}

enum GoTemplateLexer {
    /// Text and actions in order; trim markers already applied to the neighbouring text.
    static func pieces(_ template: String) throws(GoTemplateError) -> [GoTemplatePiece] {
        let bytes = Array(template.utf8)
        var pieces: [GoTemplatePiece] = []
        var i = 0
        var line = 1
        var text: [UInt8] = []
        var textLine = 1
        var trimNextText = false
        func flushText(trimRight: Bool) {
            var t = text[...]
            if trimNextText { while let f = t.first, isSpace(f) { t = t.dropFirst() } }
            if trimRight { while let l = t.last, isSpace(l) { t = t.dropLast() } }
            if !t.isEmpty { pieces.append(GoTemplatePiece(kind: .text(String(decoding: t, as: UTF8.self)), line: textLine)) }
            text = []
            trimNextText = false
        }
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "{"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{") else {
                if text.isEmpty { textLine = line }
                if bytes[i] == 10 { line += 1 }
                text.append(bytes[i])
                i += 1
                continue
            }
            let actionLine = line
            var start = i + 2
            let trimLeft = start + 1 < bytes.count && bytes[start] == UInt8(ascii: "-") && isSpace(bytes[start + 1])
            if trimLeft { start += 2 }
            flushText(trimRight: trimLeft)
            // The action ends at the first "}}" outside a string.
            var j = start
            var quote: UInt8? = nil
            var end: Int? = nil
            while j + 1 < bytes.count || (j < bytes.count && quote != nil) {
                let c = bytes[j]
                if let q = quote {
                    if c == UInt8(ascii: "\\") && q == UInt8(ascii: "\"") { j += 2; continue }
                    if c == q { quote = nil }
                } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") {
                    quote = c
                } else if c == UInt8(ascii: "}") && bytes[j + 1] == UInt8(ascii: "}") {
                    end = j
                    break
                }
                j += 1
            }
            guard let close = end else { throw GoTemplateError(line: actionLine, message: "unclosed action") }
            var bodyEnd = close
            let trimRight = bodyEnd - 2 >= start && bytes[bodyEnd - 1] == UInt8(ascii: "-") && isSpace(bytes[bodyEnd - 2])
            if trimRight { bodyEnd -= 2 }
            let body = Array(bytes[start..<max(start, bodyEnd)])
            for k in i..<(close + 2) where bytes[k] == 10 { line += 1 }
            let trimmed = body.drop(while: isSpace)
            if trimmed.starts(with: Array("/*".utf8)) {
                let tail = trimmed.reversed().drop(while: isSpace)
                guard tail.starts(with: Array("/*".utf8)) else { throw GoTemplateError(line: actionLine, message: "unclosed comment") }
            } else {
                pieces.append(GoTemplatePiece(kind: .action(try tokens(body, line: actionLine)), line: actionLine))
            }
            trimNextText = trimRight
            i = close + 2
        }
        flushText(trimRight: false)
        return pieces
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }

    private static func isWord(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    }

    static func tokens(_ body: [UInt8], line: Int) throws(GoTemplateError) -> [GoTemplateToken] {
        var out: [GoTemplateToken] = []
        var i = 0
        func fail(_ message: String) -> GoTemplateError { GoTemplateError(line: line, message: message) }
        while i < body.count {
            let c = body[i]
            if isSpace(c) { i += 1; continue }
            switch c {
            case UInt8(ascii: "("): out.append(.leftParen); i += 1
            case UInt8(ascii: ")"): out.append(.rightParen); i += 1
            case UInt8(ascii: "|"): out.append(.pipe); i += 1
            case UInt8(ascii: ","): out.append(.comma); i += 1
            case UInt8(ascii: "="): out.append(.assign); i += 1
            case UInt8(ascii: ":"):
                guard i + 1 < body.count, body[i + 1] == UInt8(ascii: "=") else { throw fail("expected :=") }
                out.append(.declare); i += 2
            case UInt8(ascii: "`"):
                guard let end = body[(i + 1)...].firstIndex(of: c) else { throw fail("unterminated raw quoted string") }
                out.append(.string(String(decoding: body[(i + 1)..<end], as: UTF8.self))); i = end + 1
            case UInt8(ascii: "\""):
                var value: [UInt8] = []
                var j = i + 1
                while true {
                    guard j < body.count else { throw fail("unterminated quoted string") }
                    let d = body[j]
                    if d == UInt8(ascii: "\"") { break }
                    if d == UInt8(ascii: "\\"), j + 1 < body.count {
                        let e = body[j + 1]
                        switch e {
                        case UInt8(ascii: "n"): value.append(10)
                        case UInt8(ascii: "t"): value.append(9)
                        case UInt8(ascii: "r"): value.append(13)
                        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): value.append(e)
                        default: throw fail("escape \\\(Character(Unicode.Scalar(e))) in a string is not supported by stoep's template expansion")
                        }
                        j += 2
                        continue
                    }
                    value.append(d)
                    j += 1
                }
                out.append(.string(String(decoding: value, as: UTF8.self))); i = j + 1
            case UInt8(ascii: "$"):
                var j = i + 1
                while j < body.count, isWord(body[j]) { j += 1 }
                out.append(.variable(String(decoding: body[i..<j], as: UTF8.self))); i = j
            case UInt8(ascii: "."):
                var j = i + 1
                while j < body.count, isWord(body[j]) { j += 1 }
                out.append(j == i + 1 ? .dot : .field(String(decoding: body[(i + 1)..<j], as: UTF8.self))); i = j
            case UInt8(ascii: "-"), 48...57:
                var j = i + 1
                while j < body.count, body[j] >= 48 && body[j] <= 57 { j += 1 }
                guard let n = Int(String(decoding: body[i..<j], as: UTF8.self)) else { throw fail("bad number syntax") }
                if j < body.count, body[j] == UInt8(ascii: ".") || isWord(body[j]) {
                    throw fail("only decimal integers are supported by stoep's template expansion")
                }
                out.append(.number(n)); i = j
            default:
                guard isWord(c) else { throw fail("unexpected \"\(Character(Unicode.Scalar(c)))\" in action") }
                var j = i
                while j < body.count, isWord(body[j]) { j += 1 }
                out.append(.identifier(String(decoding: body[i..<j], as: UTF8.self))); i = j
            }
        }
        return out
    }
}
