// circuitBreaker's `expression`, parsed as oxy's cbreaker parses it (vulcand/predicate over Go's expression
// syntax, oxy v2 cbreaker/predicates.go): `&&` and `||` (Go precedence: && binds tighter), parentheses,
// and comparisons (== != < <= > >=) of a metric function on the left with a literal on the right.
// Types are checked as oxy's reflection checks them: NetworkErrorRatio() and ResponseCodeRatio(...) are
// floats and compare with a float literal only ("0.5", not "1"); LatencyAtQuantileMS(q) takes a float q and
// is an integer, compared with an integer literal only. Anything else is refused with the reason.

public indirect enum CircuitBreakerExpression: Sendable, Hashable {
    case and(CircuitBreakerExpression, CircuitBreakerExpression)
    case or(CircuitBreakerExpression, CircuitBreakerExpression)
    case compare(Metric, Comparison, Double)

    public enum Metric: Sendable, Hashable {
        case networkErrorRatio
        /// count(codes in [fromA, toA)) / count(codes in [fromB, toB)), 0 when the latter is 0.
        case responseCodeRatio(fromA: Int, toA: Int, fromB: Int, toB: Int)
        /// The latency at this quantile (a percentage, 50.0 = median) in whole milliseconds.
        case latencyAtQuantileMS(Double)
    }

    public enum Comparison: String, Sendable, Hashable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    /// Evaluates with `value(metric)`; comparisons as oxy's (an integer metric compares as an integer).
    public func evaluate(_ value: (Metric) -> Double) -> Bool {
        switch self {
        case .and(let a, let b): return a.evaluate(value) && b.evaluate(value)
        case .or(let a, let b): return a.evaluate(value) || b.evaluate(value)
        case .compare(let m, let op, let literal):
            let v = value(m)
            switch op {
            case .equal: return v == literal
            case .notEqual: return v != literal
            case .less: return v < literal
            case .lessOrEqual: return v <= literal
            case .greater: return v > literal
            case .greaterOrEqual: return v >= literal
            }
        }
    }

    /// Parses `text`; the error says what is wrong and where (a 1-based column).
    public static func parse(_ text: String) -> Result<CircuitBreakerExpression, ParseError> {
        var p = Parser(tokens: [], at: 0)
        switch tokenize(Array(text.utf8)) {
        case .failure(let e): return .failure(e)
        case .success(let tokens): p.tokens = tokens
        }
        if p.tokens.isEmpty { return .failure(ParseError(column: 1, message: "empty expression")) }
        return p.orExpression().flatMap { e in
            p.at < p.tokens.count ? .failure(ParseError(column: p.tokens[p.at].column, message: "unexpected '\(p.tokens[p.at].text)'")) : .success(e)
        }
    }

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let column: Int
        public let message: String
        public var description: String { "column \(column): \(message)" }
    }

    struct Token {
        enum Kind { case identifier, integer, float, op, open, close, comma }
        let kind: Kind
        let text: String
        let column: Int
    }

    private static func tokenize(_ b: [UInt8]) -> Result<[Token], ParseError> {
        var out: [Token] = []
        var i = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || c == 0x5F }
        while i < b.count {
            let c = b[i]
            let start = i
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1; continue }
            if isLetter(c) {
                while i < b.count && (isLetter(b[i]) || isDigit(b[i])) { i += 1 }
                out.append(Token(kind: .identifier, text: String(decoding: b[start..<i], as: UTF8.self), column: start + 1))
            } else if isDigit(c) || (c == 0x2E && i + 1 < b.count && isDigit(b[i + 1])) {
                var float = false
                while i < b.count && (isDigit(b[i]) || b[i] == 0x2E || b[i] == 0x65 || b[i] == 0x45
                                      || ((b[i] == 0x2B || b[i] == 0x2D) && (b[i - 1] == 0x65 || b[i - 1] == 0x45))) {
                    if b[i] == 0x2E || b[i] == 0x65 || b[i] == 0x45 { float = true }
                    i += 1
                }
                out.append(Token(kind: float ? .float : .integer, text: String(decoding: b[start..<i], as: UTF8.self), column: start + 1))
            } else if c == 0x28 { i += 1; out.append(Token(kind: .open, text: "(", column: start + 1))
            } else if c == 0x29 { i += 1; out.append(Token(kind: .close, text: ")", column: start + 1))
            } else if c == 0x2C { i += 1; out.append(Token(kind: .comma, text: ",", column: start + 1))
            } else {
                let two = i + 1 < b.count ? String(decoding: b[i...i + 1], as: UTF8.self) : ""
                if ["&&", "||", "==", "!=", "<=", ">="].contains(two) {
                    i += 2
                    out.append(Token(kind: .op, text: two, column: start + 1))
                } else if c == 0x3C || c == 0x3E {
                    i += 1
                    out.append(Token(kind: .op, text: String(UnicodeScalar(c)), column: start + 1))
                } else {
                    return .failure(ParseError(column: start + 1, message: "unexpected character '\(String(UnicodeScalar(c)))'"))
                }
            }
        }
        return .success(out)
    }

    struct Parser {
        var tokens: [Token]
        var at: Int

        var column: Int { at < tokens.count ? tokens[at].column : (tokens.last.map { $0.column + $0.text.utf8.count } ?? 1) }

        mutating func take(_ kind: Token.Kind, _ text: String? = nil) -> Token? {
            guard at < tokens.count, tokens[at].kind == kind, text == nil || tokens[at].text == text else { return nil }
            at += 1
            return tokens[at - 1]
        }

        mutating func orExpression() -> Result<CircuitBreakerExpression, ParseError> {
            var left = andExpression()
            while case .success(let l) = left, take(.op, "||") != nil {
                left = andExpression().map { .or(l, $0) }
            }
            return left
        }

        mutating func andExpression() -> Result<CircuitBreakerExpression, ParseError> {
            var left = primary()
            while case .success(let l) = left, take(.op, "&&") != nil {
                left = primary().map { .and(l, $0) }
            }
            return left
        }

        mutating func primary() -> Result<CircuitBreakerExpression, ParseError> {
            if take(.open) != nil {
                let inner = orExpression()
                guard case .success = inner else { return inner }
                guard take(.close) != nil else { return .failure(ParseError(column: column, message: "expected ')'")) }
                return inner
            }
            return comparison()
        }

        mutating func comparison() -> Result<CircuitBreakerExpression, ParseError> {
            let col = column
            guard let name = take(.identifier) else {
                return .failure(ParseError(column: col, message: "expected NetworkErrorRatio(), ResponseCodeRatio(...) or LatencyAtQuantileMS(...) on the left of a comparison"))
            }
            guard take(.open) != nil else { return .failure(ParseError(column: column, message: "expected '(' after \(name.text)")) }
            var args: [Token] = []
            while let t = take(.integer) ?? take(.float) {
                args.append(t)
                if take(.comma) == nil { break }
            }
            guard take(.close) != nil else { return .failure(ParseError(column: column, message: "expected ')' closing \(name.text)'s arguments")) }
            let metric: Metric
            let integerMetric: Bool
            switch name.text {
            case "NetworkErrorRatio":
                guard args.isEmpty else { return .failure(ParseError(column: col, message: "NetworkErrorRatio takes no argument")) }
                metric = .networkErrorRatio
                integerMetric = false
            case "ResponseCodeRatio":
                guard args.count == 4, args.allSatisfy({ $0.kind == .integer }), let v = Optional(args.compactMap { Int($0.text) }), v.count == 4 else {
                    return .failure(ParseError(column: col, message: "ResponseCodeRatio takes four integers (from, to, dividedByFrom, dividedByTo)"))
                }
                metric = .responseCodeRatio(fromA: v[0], toA: v[1], fromB: v[2], toB: v[3])
                integerMetric = false
            case "LatencyAtQuantileMS":
                guard args.count == 1, args[0].kind == .float, let q = Double(args[0].text) else {
                    return .failure(ParseError(column: col, message: "LatencyAtQuantileMS takes one float, the quantile (like 50.0)"))
                }
                metric = .latencyAtQuantileMS(q)
                integerMetric = true
            default:
                return .failure(ParseError(column: col, message: "unknown function '\(name.text)'; expected NetworkErrorRatio, ResponseCodeRatio or LatencyAtQuantileMS"))
            }
            let opColumn = column
            guard let op = take(.op), let comparison = Comparison(rawValue: op.text) else {
                return .failure(ParseError(column: opColumn, message: "expected a comparison (==, !=, <, <=, >, >=) after \(name.text)(...)"))
            }
            let litColumn = column
            if integerMetric {
                guard let lit = take(.integer), let v = Int(lit.text) else {
                    return .failure(ParseError(column: litColumn, message: "LatencyAtQuantileMS compares with an integer number of milliseconds"))
                }
                return .success(.compare(metric, comparison, Double(v)))
            }
            guard let lit = take(.float), let v = Double(lit.text) else {
                return .failure(ParseError(column: litColumn, message: "\(name.text) compares with a float (like 0.5), as oxy requires"))
            }
            return .success(.compare(metric, comparison, v))
        }
    }
}
