// Go templates in file-provider files. Traefik runs every file-provider file through text/template with
// the sprig functions before parsing it (v3.7.9 pkg/provider/file/file.go CreateConfiguration, with
// `false` as the data), so files such as
//
//     http:
//       routers:
//     {{ range $i, $e := until 3 }}
//         r{{ $i }}:
//           rule: Host(`app{{ $e }}.{{ env "DOMAIN" }}`)
//     {{ end }}
//
// define several routers. stoep expands the subset real files use — text, `{{ pipeline }}` with `|`,
// variables (`$x :=`, `$x =`, `$i, $e :=`), `if`/`else if`/`else`, `range` over lists and integers (with
// `else`), `with`, comments, trim markers, and the functions in GoTemplateFunctions — and refuses the rest
// with the file's line (GoTemplateError), never expanding a file differently. A file without `{{` is
// never touched. The template's own output is bounded (16 MiB) so a runaway loop cannot eat memory.

public enum GoTemplate {
    static let maximumOutput = 16 << 20
    /// Bound on loop iterations over the whole expansion (Traefik has none; a file needing more is a bug).
    static let maximumIterations = 1_000_000

    /// True when `text` must be expanded before parsing (Traefik executes every file; one without an
    /// action expands to itself).
    public static func needsExpansion(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.indices.dropLast().contains { bytes[$0] == UInt8(ascii: "{") && bytes[$0 + 1] == UInt8(ascii: "{") }
        } ?? text.contains("{{")
    }

    /// `text` expanded; the error gives the 1-based line and what is wrong (the caller adds the file).
    public static func expand(_ text: String, environment: [String: String]) -> Result<String, ExpansionError> {
        do {
            let nodes = try GoTemplateParser.parse(text)
            var run = GoTemplateRun(environment: environment)
            try run.execute(nodes)
            return .success(run.output)
        } catch {
            return .failure(ExpansionError(line: error.line, message: error.message))
        }
    }

    public struct ExpansionError: Error, Equatable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "template: \(message)" }
    }
}

/// One execution: the output so far and the variables in scope (innermost last; `$` is the data, false).
struct GoTemplateRun {
    let environment: [String: String]
    var output = ""
    private var scopes: [[(name: String, value: GoTemplateValue)]] = [[("$", .bool(false))]]
    private var dot: GoTemplateValue = .bool(false)
    private var iterations = 0

    init(environment: [String: String]) { self.environment = environment }

    mutating func execute(_ nodes: [GoTemplateNode]) throws(GoTemplateError) {
        for node in nodes {
            switch node {
            case .text(let text):
                try emit(text, line: 0)
            case .action(let pipeline):
                let value = try evaluate(pipeline)
                if pipeline.declarations.isEmpty { try emit(value.printed, line: pipeline.line) }
            case .branch(let kind, let condition, let then, let otherwise):
                try branch(kind, condition, then, otherwise)
            }
        }
    }

    private mutating func branch(_ kind: GoTemplateNode.Branch, _ condition: GoTemplatePipeline, _ then: [GoTemplateNode],
                                 _ otherwise: [GoTemplateNode]) throws(GoTemplateError) {
        scopes.append([])
        defer { scopes.removeLast() }
        switch kind {
        case .if, .with:
            let value = try evaluate(condition)
            guard value.isTrue else { return try execute(otherwise) }
            let saved = dot
            if kind == .with { dot = value }
            defer { dot = saved }
            try execute(then)
        case .range:
            var loop = condition
            loop.declarations = []
            let items: [GoTemplateValue]
            switch try evaluate(loop) {
            case .list(let l): items = l
            case .int(let n): items = (0..<max(0, n)).map { .int($0) }   // Go 1.22: range over an integer
            case .none: items = []
            case let other: throw GoTemplateError(line: condition.line, message: "range can't iterate over \(other.printed)")
            }
            guard !items.isEmpty else { return try execute(otherwise) }
            let saved = dot
            defer { dot = saved }
            for (index, item) in items.enumerated() {
                iterations += 1
                guard iterations <= GoTemplate.maximumIterations else {
                    throw GoTemplateError(line: condition.line, message: "more than \(GoTemplate.maximumIterations) loop iterations")
                }
                dot = item
                scopes[scopes.count - 1] = []
                switch condition.declarations.count {
                case 1: scopes[scopes.count - 1].append((condition.declarations[0], item))
                case 2:
                    scopes[scopes.count - 1].append((condition.declarations[0], .int(index)))
                    scopes[scopes.count - 1].append((condition.declarations[1], item))
                default: break
                }
                try execute(then)
            }
        }
    }

    private mutating func emit(_ text: String, line: Int) throws(GoTemplateError) {
        output += text
        guard output.utf8.count <= GoTemplate.maximumOutput else {
            throw GoTemplateError(line: line, message: "expansion larger than \(GoTemplate.maximumOutput >> 20) MiB")
        }
    }

    /// Evaluates a pipeline, binding its declarations (an `if`/`with` binds in the branch's scope).
    mutating func evaluate(_ pipeline: GoTemplatePipeline) throws(GoTemplateError) -> GoTemplateValue {
        var value: GoTemplateValue? = nil
        for command in pipeline.commands {
            value = try run(command, piped: value, line: pipeline.line)
        }
        let result = value ?? .none
        for name in pipeline.declarations {
            if pipeline.assigns {
                guard let (s, i) = find(name) else { throw GoTemplateError(line: pipeline.line, message: "undefined variable: \(name)") }
                scopes[s][i].value = result
            } else {
                scopes[scopes.count - 1].append((name, result))
            }
        }
        return result
    }

    private func find(_ name: String) -> (Int, Int)? {
        for s in scopes.indices.reversed() {
            if let i = scopes[s].lastIndex(where: { $0.name == name }) { return (s, i) }
        }
        return nil
    }

    private mutating func run(_ command: [GoTemplateOperand], piped: GoTemplateValue?, line: Int) throws(GoTemplateError) -> GoTemplateValue {
        if case .call(let name) = command[0] {
            var args: [GoTemplateValue] = []
            for operand in command.dropFirst() { args.append(try value(of: operand, line: line)) }
            if let piped { args.append(piped) }
            return try call(name, args, line: line)
        }
        guard command.count == 1, piped == nil else {
            throw GoTemplateError(line: line, message: "can't give argument to non-function \(command[0])")
        }
        return try value(of: command[0], line: line)
    }

    private mutating func value(of operand: GoTemplateOperand, line: Int) throws(GoTemplateError) -> GoTemplateValue {
        switch operand {
        case .literal(let v): return v
        case .dot: return dot
        case .variable(let name):
            guard let (s, i) = find(name) else { throw GoTemplateError(line: line, message: "undefined variable: \(name)") }
            return scopes[s][i].value
        case .call(let name): return try call(name, [], line: line)
        case .pipeline(let inner): return try evaluate(inner)
        }
    }

    private func call(_ name: String, _ args: [GoTemplateValue], line: Int) throws(GoTemplateError) -> GoTemplateValue {
        do {
            return try GoTemplateFunctions.call(name, args, environment: environment)
        } catch {
            throw GoTemplateError(line: line, message: "error calling \(name): \(error.message)")
        }
    }
}
