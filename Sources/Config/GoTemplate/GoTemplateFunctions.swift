// The functions a file-provider template may call: text/template's builtins and the sprig functions
// (github.com/Masterminds/sprig/v3, which Traefik's pkg/provider/file adds with sprig.TxtFuncMap) that
// real dynamic files use — env and defaults, loops over `until`, arithmetic, string and list helpers.
// Any other name is refused when the file is parsed, with its line, instead of being expanded differently.

enum GoTemplateFunctions {
    static let known: Set<String> = [
        // text/template builtins
        "and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
        // sprig
        "env", "expandenv", "default", "empty", "coalesce", "ternary", "until", "untilStep", "add", "add1", "sub", "mul", "div", "mod",
        "max", "min", "list", "first", "last", "join", "splitList", "has", "quote", "squote", "upper", "lower", "title", "trim",
        "trimPrefix", "trimSuffix", "trimAll", "replace", "contains", "hasPrefix", "hasSuffix", "repeat", "toString", "atoi", "int",
        "cat", "nospace", "indent", "nindent",
    ]

    struct Failure: Error {
        let message: String
    }

    static func call(_ name: String, _ args: [GoTemplateValue], environment: [String: String]) throws(Failure) -> GoTemplateValue {
        func need(_ n: Int) throws(Failure) {
            guard args.count == n else { throw Failure(message: "wrong number of args for \(name): want \(n) got \(args.count)") }
        }
        func atLeast(_ n: Int) throws(Failure) {
            guard args.count >= n else { throw Failure(message: "wrong number of args for \(name): want at least \(n) got \(args.count)") }
        }
        switch name {
        case "and":
            try atLeast(1)
            return args.first { !$0.isTrue } ?? args[args.count - 1]
        case "or":
            try atLeast(1)
            return args.first { $0.isTrue } ?? args[args.count - 1]
        case "not": try need(1); return .bool(!args[0].isTrue)
        case "len":
            try need(1)
            switch args[0] {
            case .string(let s): return .int(s.utf8.count)
            case .list(let l): return .int(l.count)
            default: throw Failure(message: "len of type \(args[0].kindName)")
            }
        case "index":
            try atLeast(1)
            var value = args[0]
            for i in args.dropFirst() {
                guard case .list(let l) = value, case .int(let n) = i else { throw Failure(message: "can't index item of type \(value.kindName)") }
                guard n >= 0 && n < l.count else { throw Failure(message: "index out of range: \(n)") }
                value = l[n]
            }
            return value
        case "print", "cat":
            // fmt.Sprint puts spaces between operands when neither is a string; sprig's cat always does.
            return .string(args.map(\.printed).joined(separator: name == "cat" ? " " : ""))
        case "println": return .string(args.map(\.printed).joined(separator: " ") + "\n")
        case "printf":
            try atLeast(1)
            return .string(try format(args[0].text, Array(args.dropFirst())))
        case "eq":
            try atLeast(2)
            for other in args.dropFirst() {
                if try compare(args[0], other) == 0 { return .bool(true) }
            }
            return .bool(false)
        case "ne": try need(2); return .bool(try compare(args[0], args[1]) != 0)
        case "lt": try need(2); return .bool(try compare(args[0], args[1]) < 0)
        case "le": try need(2); return .bool(try compare(args[0], args[1]) <= 0)
        case "gt": try need(2); return .bool(try compare(args[0], args[1]) > 0)
        case "ge": try need(2); return .bool(try compare(args[0], args[1]) >= 0)
        case "env": try need(1); return .string(environment[args[0].text] ?? "")
        case "expandenv": try need(1); return .string(expand(args[0].text, environment))
        case "default": try need(2); return args[1].isTrue ? args[1] : args[0]
        case "empty": try need(1); return .bool(!args[0].isTrue)
        case "coalesce": return args.first { $0.isTrue } ?? .none
        case "ternary": try need(3); return args[2].isTrue ? args[0] : args[1]
        case "until":
            try need(1)
            let n = args[0].integer
            return .list(stride(from: 0, to: n, by: n < 0 ? -1 : 1).map { .int($0) })
        case "untilStep":
            try need(3)
            let (start, stop, step) = (args[0].integer, args[1].integer, args[2].integer)
            guard step != 0, (step > 0) == (stop >= start) else { return .list([]) }
            return .list(stride(from: start, to: stop, by: step).map { .int($0) })
        case "add": return .int(args.reduce(0) { $0 + $1.integer })
        case "add1": try need(1); return .int(args[0].integer + 1)
        case "sub": try need(2); return .int(args[0].integer - args[1].integer)
        case "mul": try atLeast(1); return .int(args.dropFirst().reduce(args[0].integer) { $0 * $1.integer })
        case "div", "mod":
            try need(2)
            guard args[1].integer != 0 else { throw Failure(message: "\(name): integer divide by zero") }
            return .int(name == "div" ? args[0].integer / args[1].integer : args[0].integer % args[1].integer)
        case "max", "min":
            try atLeast(1)
            let values = args.map(\.integer)
            return .int((name == "max" ? values.max() : values.min()) ?? 0)
        case "list": return .list(args)
        case "first", "last":
            try need(1)
            guard case .list(let l) = args[0] else { throw Failure(message: "\(name) of type \(args[0].kindName)") }
            return (name == "first" ? l.first : l.last) ?? .none
        case "join":
            try need(2)
            let items: [GoTemplateValue]
            if case .list(let l) = args[1] { items = l } else { items = [args[1]] }
            return .string(items.map(\.text).joined(separator: args[0].text))
        case "splitList":
            try need(2)
            return .list(split(args[1].text, by: args[0].text).map { .string($0) })
        case "has":
            try need(2)
            guard case .list(let l) = args[1] else { return .bool(false) }
            return .bool(l.contains(args[0]))
        case "quote": return .string(args.filter { $0 != .none }.map { goQuote($0.text) }.joined(separator: " "))
        case "squote": return .string(args.filter { $0 != .none }.map { "'" + $0.text + "'" }.joined(separator: " "))
        case "upper": try need(1); return .string(args[0].text.uppercased())
        case "lower": try need(1); return .string(args[0].text.lowercased())
        case "title":
            try need(1)
            var out = ""
            var atStart = true
            for c in args[0].text {
                out += atStart ? c.uppercased() : String(c)
                atStart = c == " " || c == "\t" || c == "\n"
            }
            return .string(out)
        case "trim": try need(1); return .string(trimmed(args[0].text))
        case "trimPrefix":
            try need(2)
            let s = args[1].text, p = args[0].text
            return .string(s.hasPrefix(p) ? String(s.dropFirst(p.count)) : s)
        case "trimSuffix":
            try need(2)
            let s = args[1].text, p = args[0].text
            return .string(s.hasSuffix(p) ? String(s.dropLast(p.count)) : s)
        case "trimAll":
            try need(2)
            let cut = Set(args[0].text)
            return .string(String(args[1].text.drop { cut.contains($0) }.reversed().drop { cut.contains($0) }.reversed()))
        case "replace":
            try need(3)
            return .string(split(args[2].text, by: args[0].text).joined(separator: args[1].text))
        case "contains": try need(2); return .bool(args[0].text.isEmpty || split(args[1].text, by: args[0].text).count > 1)
        case "hasPrefix": try need(2); return .bool(args[1].text.hasPrefix(args[0].text))
        case "hasSuffix": try need(2); return .bool(args[1].text.hasSuffix(args[0].text))
        case "repeat": try need(2); return .string(String(repeating: args[1].text, count: max(0, min(args[0].integer, 1 << 16))))
        case "toString": try need(1); return .string(args[0].text)
        case "atoi", "int": try need(1); return .int(args[0].integer)
        case "nospace": try need(1); return .string(args[0].text.filter { !$0.isWhitespace })
        case "indent", "nindent":
            try need(2)
            let pad = String(repeating: " ", count: max(0, min(args[0].integer, 1024)))
            let body = pad + split(args[1].text, by: "\n").joined(separator: "\n" + pad)
            return .string(name == "nindent" ? "\n" + body : body)
        default:
            throw Failure(message: "function \"\(name)\" is not supported by stoep's template expansion")
        }
    }

    /// text/template's eq/lt: integers with integers, strings with strings, booleans only for equality.
    private static func compare(_ a: GoTemplateValue, _ b: GoTemplateValue) throws(Failure) -> Int {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : x == y ? 0 : 1
        case (.string(let x), .string(let y)): return x < y ? -1 : x == y ? 0 : 1
        case (.bool(let x), .bool(let y)): return x == y ? 0 : 1
        default: throw Failure(message: "incompatible types for comparison (\(a.kindName) and \(b.kindName))")
        }
    }

    /// fmt.Sprintf for the verbs templates use: %s %v %d %q %%, with an optional width (%5d, %-3s, %02d).
    static func format(_ template: String, _ args: [GoTemplateValue]) throws(Failure) -> String {
        var out = ""
        var next = 0
        var chars = Substring(template)
        while let c = chars.first {
            chars = chars.dropFirst()
            guard c == "%" else { out.append(c); continue }
            var flags = ""
            while let f = chars.first, f == "-" || f == "0" { flags.append(f); chars = chars.dropFirst() }
            var width = 0
            while let d = chars.first, let v = d.wholeNumberValue { width = width * 10 + v; chars = chars.dropFirst() }
            guard let verb = chars.first else { out += "%!(NOVERB)"; break }
            chars = chars.dropFirst()
            if verb == "%" { out.append("%"); continue }
            guard next < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let arg = args[next]
            next += 1
            var piece: String
            switch verb {
            case "s", "v": piece = arg.printed
            case "d":
                guard case .int(let n) = arg else { piece = "%!d(\(arg.kindName)=\(arg.printed))"; break }
                piece = String(n)
            case "q": piece = goQuote(arg.text)
            default: throw Failure(message: "printf verb %\(verb) is not supported by stoep's template expansion")
            }
            if piece.count < width {
                let pad = String(repeating: flags.contains("0") && !flags.contains("-") ? "0" : " ", count: width - piece.count)
                piece = flags.contains("-") ? piece + pad : pad + piece
            }
            out += piece
        }
        return out
    }

    /// strconv.Quote for the characters configuration values hold.
    static func goQuote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// os.ExpandEnv: `$NAME` and `${NAME}`; unset names are "".
    static func expand(_ s: String, _ environment: [String: String]) -> String {
        var out = ""
        var rest = Substring(s)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            if rest.first == "{", let close = rest.firstIndex(of: "}") {
                out += environment[String(rest[rest.index(after: rest.startIndex)..<close])] ?? ""
                rest = rest[rest.index(after: close)...]
            } else {
                let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if name.isEmpty { out += "$" } else { out += environment[String(name)] ?? "" }
                rest = rest.dropFirst(name.count)
            }
        }
        return out + rest
    }

    static func trimmed(_ s: String) -> String {
        String(s.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// strings.Split (an empty separator splits into characters).
    static func split(_ s: String, by separator: String) -> [String] {
        guard !separator.isEmpty else { return s.map(String.init) }
        var parts: [String] = []
        var rest = Substring(s)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
