// Builds the tree of a Go text/template from GoTemplateLexer's pieces (Go's text/template/parse/parse.go,
// the subset stoep expands): text, pipelines (commands joined by `|`, each a function call or an operand,
// with optional `$x :=` / `$x =` / `$i, $e :=` declarations), `if`/`else if`/`else`, `range` (with `else`),
// `with` — each closed by `end`. `define`, `template`, `block`, `break`, `continue` and field access on
// the data are refused with the line.

indirect enum GoTemplateOperand {
    case literal(GoTemplateValue)
    case variable(String)
    case dot
    case call(String)                        // a function name as the first word of a command
    case pipeline(GoTemplatePipeline)        // ( ... )
}

struct GoTemplatePipeline {
    var declarations: [String] = []
    /// `$x = ...` (assign to an existing variable) rather than `$x := ...`.
    var assigns = false
    var commands: [[GoTemplateOperand]] = []
    var line: Int
}

indirect enum GoTemplateNode {
    case text(String)
    case action(GoTemplatePipeline)
    case branch(kind: Branch, GoTemplatePipeline, then: [GoTemplateNode], otherwise: [GoTemplateNode])

    enum Branch { case `if`, range, with }
}

struct GoTemplateParser {
    private let pieces: [GoTemplatePiece]
    private var position = 0

    static func parse(_ template: String) throws(GoTemplateError) -> [GoTemplateNode] {
        var parser = GoTemplateParser(pieces: try GoTemplateLexer.pieces(template))
        let (nodes, stop) = try parser.list()
        if let stop { throw GoTemplateError(line: stop.line, message: "unexpected {{\(stop.word)}}") }
        return nodes
    }

    private init(pieces: [GoTemplatePiece]) { self.pieces = pieces }

    /// Nodes up to an `end` or `else` (returned, with its remaining tokens) or the end of the template.
    private mutating func list() throws(GoTemplateError) -> ([GoTemplateNode], (word: String, rest: [GoTemplateToken], line: Int)?) {
        var nodes: [GoTemplateNode] = []
        while position < pieces.count {
            let piece = pieces[position]
            position += 1
            switch piece.kind {
            case .text(let text):
                nodes.append(.text(text))
            case .action(let tokens):
                guard case .identifier(let word)? = tokens.first else {
                    nodes.append(.action(try Self.pipeline(tokens[...], line: piece.line, declarations: true)))
                    continue
                }
                switch word {
                case "end", "else":
                    return (nodes, (word, Array(tokens.dropFirst()), piece.line))
                case "if", "range", "with":
                    nodes.append(try branch(word, Array(tokens.dropFirst()), line: piece.line))
                case "define", "template", "block", "break", "continue":
                    throw GoTemplateError(line: piece.line, message: "{{\(word)}} is not supported by stoep's template expansion")
                default:
                    nodes.append(.action(try Self.pipeline(tokens[...], line: piece.line, declarations: true)))
                }
            }
        }
        return (nodes, nil)
    }

    private mutating func branch(_ word: String, _ tokens: [GoTemplateToken], line: Int) throws(GoTemplateError) -> GoTemplateNode {
        let kind: GoTemplateNode.Branch = word == "if" ? .if : word == "range" ? .range : .with
        let condition = try Self.pipeline(tokens[...], line: line, declarations: true)
        if kind == .range && condition.declarations.count > 2 || kind != .range && condition.declarations.count > 1 {
            throw GoTemplateError(line: line, message: "too many declarations in \(word)")
        }
        let (then, stop) = try list()
        guard let stop else { throw GoTemplateError(line: line, message: "unexpected EOF: {{\(word)}} has no {{end}}") }
        if stop.word == "end" {
            guard stop.rest.isEmpty else { throw GoTemplateError(line: stop.line, message: "unexpected tokens after end") }
            return .branch(kind: kind, condition, then: then, otherwise: [])
        }
        // {{else}}, or {{else if ...}} / {{else with ...}}: a nested branch that shares this one's {{end}}.
        if case .identifier(let nested)? = stop.rest.first, nested == "if" || nested == "with", kind != .range || nested == "if" {
            let inner = try branch(nested, Array(stop.rest.dropFirst()), line: stop.line)
            return .branch(kind: kind, condition, then: then, otherwise: [inner])
        }
        guard stop.rest.isEmpty else { throw GoTemplateError(line: stop.line, message: "unexpected tokens after else") }
        let (otherwise, last) = try list()
        guard let last, last.word == "end", last.rest.isEmpty else {
            throw GoTemplateError(line: last?.line ?? line, message: "expected {{end}} for {{\(word)}}")
        }
        return .branch(kind: kind, condition, then: then, otherwise: otherwise)
    }

    /// `[$a[, $b] (:=|=)] command { | command }`.
    static func pipeline(_ tokens: ArraySlice<GoTemplateToken>, line: Int, declarations: Bool) throws(GoTemplateError) -> GoTemplatePipeline {
        var result = GoTemplatePipeline(line: line)
        var rest = tokens
        if declarations, case .variable(let first)? = rest.first {
            var names = [first]
            var probe = rest.dropFirst()
            if probe.first == .comma, case .variable(let second)? = probe.dropFirst().first {
                names.append(second)
                probe = probe.dropFirst(2)
            }
            if probe.first == .declare || probe.first == .assign {
                result.declarations = names
                result.assigns = probe.first == .assign
                rest = probe.dropFirst()
            }
        }
        var command: [GoTemplateOperand] = []
        while let token = rest.first {
            rest = rest.dropFirst()
            switch token {
            case .pipe:
                guard !command.isEmpty else { throw GoTemplateError(line: line, message: "missing command before |") }
                result.commands.append(command)
                command = []
            case .leftParen:
                var depth = 1
                var inner: [GoTemplateToken] = []
                while let t = rest.first {
                    rest = rest.dropFirst()
                    if t == .leftParen { depth += 1 }
                    if t == .rightParen { depth -= 1; if depth == 0 { break } }
                    inner.append(t)
                }
                guard depth == 0 else { throw GoTemplateError(line: line, message: "unclosed left paren") }
                command.append(.pipeline(try pipeline(inner[...], line: line, declarations: false)))
            case .string(let s): command.append(.literal(.string(s)))
            case .number(let n): command.append(.literal(.int(n)))
            case .variable(let v): command.append(.variable(v))
            case .dot: command.append(.dot)
            case .identifier("true"): command.append(.literal(.bool(true)))
            case .identifier("false"): command.append(.literal(.bool(false)))
            case .identifier("nil"): command.append(.literal(.none))
            case .identifier(let name):
                guard GoTemplateFunctions.known.contains(name) else {
                    throw GoTemplateError(line: line, message: "function \"\(name)\" is not supported by stoep's template expansion")
                }
                command.append(.call(name))
            case .field(let name):
                // Traefik runs file-provider templates with `false` as the data: a field is an error there too.
                throw GoTemplateError(line: line, message: "field .\(name) on the template data (Traefik passes no data to file-provider templates)")
            case .rightParen, .comma, .declare, .assign:
                throw GoTemplateError(line: line, message: "unexpected \(token) in action")
            }
        }
        guard !command.isEmpty else { throw GoTemplateError(line: line, message: "missing value for command") }
        result.commands.append(command)
        return result
    }
}
