// The values a file-provider template computes with: what Go's text/template and the sprig functions stoep
// supports produce (strings, integers, booleans, lists, nil). Printing follows fmt.Sprint, as text/template
// prints an action's value.

enum GoTemplateValue: Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case list([GoTemplateValue])
    case none

    /// text/template's truth (isTrue): false, 0, "", an empty list and nil are false.
    var isTrue: Bool {
        switch self {
        case .string(let s): return !s.isEmpty
        case .int(let n): return n != 0
        case .bool(let b): return b
        case .list(let l): return !l.isEmpty
        case .none: return false
        }
    }

    /// fmt.Sprint: a list as `[a b c]`; nil as text/template prints a missing value.
    var printed: String {
        switch self {
        case .string(let s): return s
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .list(let l): return "[" + l.map(\.printed).joined(separator: " ") + "]"
        case .none: return "<no value>"
        }
    }

    /// sprig's toString / strval: nil is "".
    var text: String {
        if case .none = self { return "" }
        return printed
    }

    /// sprig's toInt64 (spf13/cast): a decimal string is its value, anything unconvertible 0.
    var integer: Int {
        switch self {
        case .int(let n): return n
        case .string(let s): return Int(s) ?? 0
        case .bool(let b): return b ? 1 : 0
        case .list, .none: return 0
        }
    }

    var kindName: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .bool: return "bool"
        case .list: return "list"
        case .none: return "nil"
        }
    }
}
