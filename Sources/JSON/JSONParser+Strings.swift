// JSONParser, string half: RFC 8259 section 7 strings, escapes and UTF-8 validation (section 8.1).

extension JSONParser {
    /// Parses a string starting at its opening quote. Unescaped runs are validated as UTF-8 in place and
    /// decoded in one go; only strings with escapes are assembled in `scratch`.
    mutating func parseString() throws(JSONParseError) -> String {
        position += 1  // opening quote
        let start = position
        var usesScratch = false
        var runStart = position
        while true {
            guard position < bytes.count else { throw JSONParseError(.unexpectedEnd, at: position) }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text: String
                if usesScratch {
                    scratch.append(contentsOf: bytes[runStart..<position])
                    text = String(decoding: scratch, as: UTF8.self)
                } else {
                    text = String(decoding: bytes[start..<position], as: UTF8.self)
                }
                position += 1
                return text
            } else if byte == UInt8(ascii: "\\") {
                if !usesScratch {
                    usesScratch = true
                    scratch.removeAll(keepingCapacity: true)
                }
                scratch.append(contentsOf: bytes[runStart..<position])
                try parseEscape()
                runStart = position
            } else if byte < 0x20 {
                throw JSONParseError(.unescapedControlCharacter(byte), at: position)
            } else if byte < 0x80 {
                position += 1
            } else {
                try skipUTF8Sequence()
            }
        }
    }

    /// Decodes one escape starting at the backslash and appends its UTF-8 to `scratch`.
    private mutating func parseEscape() throws(JSONParseError) {
        let escapeStart = position
        position += 1
        guard position < bytes.count else { throw JSONParseError(.unexpectedEnd, at: position) }
        let letter = bytes[position]
        position += 1
        switch letter {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try parseHex4())
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                // A high surrogate must be followed by an escaped low surrogate (RFC 8259 section 7).
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                      bytes[position + 1] == UInt8(ascii: "u") else {
                    throw JSONParseError(.loneSurrogate, at: escapeStart)
                }
                position += 2
                let low = UInt32(try parseHex4())
                guard low >= 0xDC00 && low <= 0xDFFF else { throw JSONParseError(.loneSurrogate, at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw JSONParseError(.loneSurrogate, at: escapeStart)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw JSONParseError(.loneSurrogate, at: escapeStart) }
            scratch.append(contentsOf: unicode.utf8)
        default:
            throw JSONParseError(.invalidEscape, at: escapeStart)
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt16 {
        guard position + 4 <= bytes.count else { throw JSONParseError(.invalidUnicodeEscape, at: position) }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidUnicodeEscape, at: position)
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence at `position` (Unicode 15, table 3-7) and steps over it.
    private mutating func skipUTF8Sequence() throws(JSONParseError) {
        let lead = bytes[position]
        let length: Int
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondLow = 0xA0          // no overlong 3-byte forms
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; secondHigh = 0x9F         // no encoded surrogates
        case 0xF0: length = 4; secondLow = 0x90          // no overlong 4-byte forms
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondHigh = 0x8F         // nothing past U+10FFFF
        default: throw JSONParseError(.invalidUTF8, at: position)
        }
        guard position + length <= bytes.count else { throw JSONParseError(.invalidUTF8, at: position) }
        let second = bytes[position + 1]
        guard second >= secondLow && second <= secondHigh else { throw JSONParseError(.invalidUTF8, at: position) }
        var index = position + 2
        while index < position + length {
            guard bytes[index] & 0xC0 == 0x80 else { throw JSONParseError(.invalidUTF8, at: position) }
            index += 1
        }
        position += length
    }
}
