// What a YAML scalar means: YAML 1.2 core-schema resolution (spec §10.3.2) for plain scalars, so `80` is an
// integer, `true` a boolean and `"80"` a string — the same values the equivalent TOML file yields.
// YAML 1.1's yes/no/on/off stay strings, as in the 1.2 core schema and Traefik's yaml.v3 decoding.

/// The outcome of resolving one scalar.
enum YAMLResolvedScalar: Equatable {
    case null
    case value(TOMLValue)
    /// The scalar cannot have the type its tag or form demands; the message says why.
    case invalid(String)
}

enum YAMLScalarResolver {
    static let tagPrefix = "tag:yaml.org,2002:"

    /// Resolves `text`. Quoted and block scalars are strings unless an explicit `!!int`-style tag says
    /// otherwise; the non-specific tag `!` forces a string; other tags are refused.
    static func resolve(_ text: String, tag: String?, plain: Bool) -> YAMLResolvedScalar {
        guard let tag else { return plain ? resolvePlain(text) : .value(.string(text)) }
        switch tag {
        case "!", tagPrefix + "str": return .value(.string(text))
        case tagPrefix + "null": return isNull(text) ? .null : .invalid("'\(text)' is not a null")
        case tagPrefix + "bool":
            if let flag = bool(text) { return .value(.bool(flag)) }
            return .invalid("'\(text)' is not a boolean; expected true or false")
        case tagPrefix + "int":
            return integer(text) ?? .invalid("'\(text)' is not an integer")
        case tagPrefix + "float":
            if case .value(.integer(let number))? = integer(text) { return .value(.float(Double(number))) }
            return float(text) ?? .invalid("'\(text)' is not a float")
        default:
            return .invalid("unsupported YAML tag '\(tag)'; only !!str, !!int, !!float, !!bool and !!null are understood")
        }
    }

    /// Core schema, in the spec's order: null, bool, int, float, else string.
    static func resolvePlain(_ text: String) -> YAMLResolvedScalar {
        if isNull(text) { return .null }
        if let flag = bool(text) { return .value(.bool(flag)) }
        if let number = integer(text) { return number }
        if let number = float(text) { return number }
        return .value(.string(text))
    }

    static func isNull(_ text: String) -> Bool {
        text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`; nil when the text is not an integer at all, `.invalid`
    /// when it is one but does not fit 64 bits (as TOML reports it, rather than silently becoming a float).
    static func integer(_ text: String) -> YAMLResolvedScalar? {
        let bytes = Array(text.utf8)
        var digits = bytes[...]
        var radix = 10
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "x") || bytes[1] == UInt8(ascii: "o") {
            radix = bytes[1] == UInt8(ascii: "x") ? 16 : 8
            digits = bytes[2...]
        } else if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            digits = bytes[1...]
        }
        guard !digits.isEmpty, digits.allSatisfy({ isDigit($0, radix: radix) }) else { return nil }
        let parsed = radix == 10 ? Int64(text) : Int64(String(decoding: digits, as: UTF8.self), radix: radix)
        guard let parsed else { return .invalid("integer '\(text)' does not fit in 64 bits") }
        return .value(.integer(parsed))
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?\.inf`, `.nan` (three spellings each).
    static func float(_ text: String) -> YAMLResolvedScalar? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .value(.float(.infinity))
        case "-.inf", "-.Inf", "-.INF": return .value(.float(-.infinity))
        case ".nan", ".NaN", ".NAN": return .value(.float(.nan))
        default: break
        }
        guard matchesFloatPattern(Array(text.utf8)), let number = Double(text) else { return nil }
        return .value(.float(number))
    }

    private static func matchesFloatPattern(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digitRun() -> Int {
            let start = index
            while index < bytes.count, isDigit(bytes[index], radix: 10) { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
        let whole = digitRun()
        var fraction = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fraction = digitRun()
        }
        // ".5" and "5." and "5" are numbers; "." alone is not.
        guard whole > 0 || fraction > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digitRun() > 0 else { return false }
        }
        return index == bytes.count
    }

    private static func isDigit(_ byte: UInt8, radix: Int) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "7"): return true
        case UInt8(ascii: "8"), UInt8(ascii: "9"): return radix >= 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): return radix == 16
        default: return false
        }
    }
}
