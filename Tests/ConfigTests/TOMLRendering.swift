@testable import Config

/// A compact, order-preserving rendering of parsed TOML for table-driven expectations:
/// strings in double quotes (only `"` and `\` escaped, plus \n), tables as {k=v,…}, arrays as […],
/// datetimes as dt(…), floats via Swift's description.
func render(_ value: TOMLValue) -> String {
    switch value {
    case .string(let text):
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    case .integer(let number): return String(number)
    case .float(let number): return number.description
    case .bool(let flag): return flag ? "true" : "false"
    case .datetime(let text): return "dt(\(text))"
    case .array(let nodes): return "[" + nodes.map { render($0.value) }.joined(separator: ",") + "]"
    case .table(let table): return render(table)
    }
}

func render(_ table: TOMLTable) -> String {
    "{" + table.entries.map { renderKey($0.key) + "=" + render($0.node.value) }.joined(separator: ",") + "}"
}

private func renderKey(_ key: String) -> String {
    !key.isEmpty && key.utf8.allSatisfy(\.isBareKeyByte) ? key : "\"" + key + "\""
}
