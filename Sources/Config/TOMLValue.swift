// The parsed TOML document: values that remember where they were written, and tables that remember the
// order their keys were written in (so error lists and `stoep check` output follow the file).

/// A TOML value. Datetimes are kept as their validated source text: stoep's schema has no datetime
/// fields, and keeping the text avoids a calendar library.
public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    case datetime(String)
    case array([TOMLNode])
    case table(TOMLTable)

    /// The TOML type name, for "expected a string, found an integer" style messages.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .bool: return "boolean"
        case .datetime: return "datetime"
        case .array: return "array"
        case .table: return "table"
        }
    }
}

/// A value and the position of its first character (for a table: its header or first dotted key).
public struct TOMLNode: Sendable, Equatable {
    public var value: TOMLValue
    public var location: SourceLocation

    public init(value: TOMLValue, location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// A TOML table: keys in the order they were first written, plus lookup by key.
public struct TOMLTable: Sendable, Equatable {
    /// Keys in source order.
    public private(set) var keys: [String] = []
    private var nodes: [String: TOMLNode] = [:]
    /// Where the table was opened: its `[header]`, its first dotted key, its `{`, or 1:1 for the root.
    public var location: SourceLocation

    public init(location: SourceLocation) {
        self.location = location
    }

    public subscript(key: String) -> TOMLNode? { nodes[key] }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// Key/node pairs in source order.
    public var entries: [(key: String, node: TOMLNode)] {
        keys.compactMap { key in nodes[key].map { (key, $0) } }
    }

    /// Adds or replaces `key`. A new key goes to the end of the order; a replaced key keeps its place.
    public mutating func set(_ key: String, _ node: TOMLNode) {
        if nodes.updateValue(node, forKey: key) == nil {
            keys.append(key)
        }
    }
}
