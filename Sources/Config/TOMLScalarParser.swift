import Glibc

// Bare TOML values: booleans, integers (decimal, 0x, 0o, 0b), floats (incl. inf/nan) and
// dates/times (TOML 1.0 "Integer", "Float", "Boolean", "Offset Date-Time" … "Local Time").
// Works on one token already cut out by the value parser; pure, so it is tested directly.

enum TOMLScalar {
    struct Problem: Error {
        var message: String
    }

    /// What `token` is, or why it is none of the bare value forms.
    static func classify(_ token: String) -> Result<TOMLValue, Problem> {
        let bytes = Array(token.utf8)
        switch token {
        case "true": return .success(.bool(true))
        case "false": return .success(.bool(false))
        case "inf", "+inf": return .success(.float(.infinity))
        case "-inf": return .success(.float(-.infinity))
        case "nan", "+nan", "-nan": return .success(.float(.nan))
        default: break
        }
        if TOMLDateTime.looksLikeDateTime(bytes) {
            return TOMLDateTime.validate(bytes).map { .datetime(token) }
        }
        guard let first = bytes.first, first.isDecimalDigit || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") else {
            return .failure(Problem(message: "expected a value; '\(token)' is not true, false, a number or a date (strings need quotes)"))
        }
        if bytes.count > 2 && bytes[0] == UInt8(ascii: "0"), let radix = radix(of: bytes[1]) {
            return integer(bytes[2...], radix: radix, negative: false, token: token).map { .integer($0) }
        }
        if bytes.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            return float(bytes, token: token).map { .float($0) }
        }
        var digits = bytes[...]
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
            if digits.count > 2, digits.first == UInt8(ascii: "0"), let second = digits.dropFirst().first, radix(of: second) != nil {
                return .failure(Problem(message: "expected an unsigned number after '0x', '0o' or '0b'; a sign is not allowed there"))
            }
        }
        if digits.count > 1 && digits.first == UInt8(ascii: "0") {
            if let second = digits.dropFirst().first, !second.isDecimalDigit, second != UInt8(ascii: "_") {
                return .failure(Problem(message: "expected a number; prefixes are written 0x, 0o and 0b (lowercase), found '\(token)'"))
            }
            return .failure(Problem(message: "expected a number without leading zeros, found '\(token)'"))
        }
        return integer(digits, radix: 10, negative: negative, token: token).map { .integer($0) }
    }

    private static func radix(of byte: UInt8) -> Int64? {
        switch byte {
        case UInt8(ascii: "x"): return 16
        case UInt8(ascii: "o"): return 8
        case UInt8(ascii: "b"): return 2
        default: return nil
        }
    }

    /// Digits of `radix` with single underscores between digits; must fit in Int64.
    private static func integer(_ digits: ArraySlice<UInt8>, radix: Int64, negative: Bool, token: String) -> Result<Int64, Problem> {
        guard checkUnderscores(digits) else {
            return .failure(Problem(message: "expected digits in '\(token)'; an underscore must sit between two digits"))
        }
        var value: Int64 = 0
        var sawDigit = false
        for byte in digits where byte != UInt8(ascii: "_") {
            guard let digit = TOMLDocumentParser.hexValue(byte), Int64(digit) < radix else {
                return .failure(Problem(message: "expected a base-\(radix) digit in '\(token)'"))
            }
            sawDigit = true
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: radix)
            // Accumulate negative numbers downwards so Int64.min is reachable.
            let (next, overflowB) = negative ? shifted.subtractingReportingOverflow(Int64(digit)) : shifted.addingReportingOverflow(Int64(digit))
            guard !overflowA && !overflowB else {
                return .failure(Problem(message: "integer '\(token)' does not fit in 64 bits"))
            }
            value = next
        }
        guard sawDigit else { return .failure(Problem(message: "expected digits in '\(token)'")) }
        return .success(value)
    }

    /// [+-] int-part [. digits] [e [+-] digits]: no leading zeros in the integer part, at least one digit
    /// on each side of the point, underscores only between digits.
    private static func float(_ bytes: [UInt8], token: String) -> Result<Double, Problem> {
        let bad = Problem(message: "expected a float like 1.5, 1e6 or 2.5e-3, found '\(token)'")
        var index = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digitRun() -> ArraySlice<UInt8> {
            let start = index
            while index < bytes.count, bytes[index].isDecimalDigit || bytes[index] == UInt8(ascii: "_") { index += 1 }
            return bytes[start..<index]
        }
        let integerPart = digitRun()
        guard !integerPart.isEmpty, checkUnderscores(integerPart) else { return .failure(bad) }
        if integerPart.count > 1 && integerPart.first == UInt8(ascii: "0") {
            return .failure(Problem(message: "expected a float without leading zeros, found '\(token)'"))
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fraction = digitRun()
            guard !fraction.isEmpty, checkUnderscores(fraction) else { return .failure(bad) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let exponent = digitRun()
            guard !exponent.isEmpty, checkUnderscores(exponent) else { return .failure(bad) }
        }
        guard index == bytes.count else { return .failure(bad) }
        // strtod in the C locale (stoep never calls setlocale) parses exactly this syntax.
        let cleaned = String(decoding: bytes.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        return .success(strtod(cleaned, nil))
    }

    /// True when every underscore has a digit (of any base) on both sides.
    private static func checkUnderscores(_ digits: ArraySlice<UInt8>) -> Bool {
        var previousWasDigit = false
        for byte in digits {
            if byte == UInt8(ascii: "_") {
                guard previousWasDigit else { return false }
                previousWasDigit = false
            } else {
                previousWasDigit = true
            }
        }
        return previousWasDigit || digits.isEmpty
    }
}
