// Reads one table of Traefik configuration the way Traefik's own decoder (paerser) does, whatever the
// tree came from: keys match case-insensitively (`certResolver` == `certresolver`, as labels demand),
// scalars may arrive as text (Docker labels carry only strings), lists may be comma-separated strings
// (`entrypoints=web,websecure`) or tables keyed 0, 1, … (`domains[0].main`). Every wrongly typed value
// is an error at its own path.

/// A table of Traefik configuration at `path` ("http.routers.web").
struct TraefikSection {
    let path: String
    let location: SourceLocation
    /// Keys as written, in source order.
    let entries: [(key: String, node: TOMLNode)]
    /// Lowercased key → index into `entries`.
    private let indexByKey: [String: Int]

    /// Keys that differ only in case name the same option. Two tables under such keys are merged (labels
    /// `tls.certresolver` and `TLS.domains[0].main` both configure the router's TLS); otherwise the later
    /// value wins, with a warning.
    init(_ table: TOMLTable, path: String, log: inout TraefikIssueLog) {
        self.path = path
        self.location = table.location
        var merged: [(key: String, node: TOMLNode)] = []
        var index: [String: Int] = [:]
        for (key, node) in table.entries {
            let folded = key.lowercased()
            guard let earlier = index[folded] else {
                index[folded] = merged.count
                merged.append((key, node))
                continue
            }
            if case .table(let first) = merged[earlier].node.value, case .table(let second) = node.value {
                merged[earlier].node.value = .table(Self.merge(first, second))
            } else {
                log.warning(node.location, Self.join(path, key), "'\(merged[earlier].key)' is also set; keys are case-insensitive, using this later one")
                merged[earlier] = (key, node)
            }
        }
        self.entries = merged
        self.indexByKey = index
    }

    /// `second`'s keys added to `first`; tables under the same key merged recursively, else `second` wins.
    static func merge(_ first: TOMLTable, _ second: TOMLTable) -> TOMLTable {
        var result = first
        for (key, node) in second.entries {
            if let existing = result[key], case .table(let a) = existing.value, case .table(let b) = node.value {
                result.set(key, TOMLNode(value: .table(merge(a, b)), location: existing.location))
            } else {
                result.set(key, node)
            }
        }
        return result
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func path(_ key: String) -> String { Self.join(path, key) }

    func node(_ key: String) -> TOMLNode? { indexByKey[key.lowercased()].map { entries[$0].node } }

    func has(_ key: String) -> Bool { indexByKey[key.lowercased()] != nil }

    /// `key = true` / "true": a table option switched on with its defaults.
    func isEnabledByValue(_ key: String) -> Bool {
        switch node(key)?.value {
        case .bool(true)?: return true
        case .string(let text)?: return text.lowercased() == "true"
        default: return false
        }
    }

    /// `key = false` / "false": a table option switched off, as if absent.
    func isDisabled(_ key: String) -> Bool {
        switch node(key)?.value {
        case .bool(false)?: return true
        case .string(let text)?: return text.lowercased() == "false"
        default: return false
        }
    }

    /// The spelling the user wrote for `key`, for paths in messages.
    func writtenKey(_ key: String) -> String { indexByKey[key.lowercased()].map { entries[$0].key } ?? key }

    /// Warns once for each key not in `allowed` (compared case-insensitively), suggesting a close one.
    func warnUnknownKeys(allowed: [String], log: inout TraefikIssueLog) {
        let known = Set(allowed.map { $0.lowercased() })
        for (key, node) in entries where !known.contains(key.lowercased()) {
            var message = log.unknownKeysAreErrors ? "unknown key '\(key)'" : "unknown key '\(key)', ignored"
            if let guess = KeySuggestion.closest(to: key, among: allowed) { message += " (did you mean '\(guess)'?)" }
            log.unknownKey(node.location, path(key), message)
        }
    }

    // MARK: typed values; nil when absent or wrongly typed (the latter recorded as an error)

    func string(_ key: String, _ log: inout TraefikIssueLog) -> String? {
        node(key).flatMap { Self.text($0, path(writtenKey(key)), &log) }
    }

    func bool(_ key: String, _ log: inout TraefikIssueLog) -> Bool? {
        guard let node = node(key) else { return nil }
        switch node.value {
        case .bool(let flag): return flag
        // Go's strconv.ParseBool, which Traefik uses for label text.
        case .string(let text) where ["1", "t", "T", "true", "TRUE", "True"].contains(text): return true
        case .string(let text) where ["0", "f", "F", "false", "FALSE", "False"].contains(text): return false
        default:
            log.error(node.location, path(writtenKey(key)), "expected true or false, found \(Self.describe(node.value))")
            return nil
        }
    }

    func integer(_ key: String, _ log: inout TraefikIssueLog) -> Int64? {
        guard let node = node(key) else { return nil }
        switch node.value {
        case .integer(let number): return number
        case .string(let text) where Int64(text) != nil: return Int64(text)
        default:
            log.error(node.location, path(writtenKey(key)), "expected an integer, found \(Self.describe(node.value))")
            return nil
        }
    }

    /// An integer within `range`, else an error naming the range.
    func integer(_ key: String, in range: ClosedRange<Int64>, _ log: inout TraefikIssueLog) -> Int64? {
        guard let number = integer(key, &log) else { return nil }
        guard range.contains(number) else {
            log.error(node(key)?.location ?? location, path(writtenKey(key)), "expected an integer in \(range.lowerBound)...\(range.upperBound), found \(number)")
            return nil
        }
        return number
    }

    func number(_ key: String, _ log: inout TraefikIssueLog) -> Double? {
        guard let node = node(key) else { return nil }
        return Self.number(node, path(writtenKey(key)), &log)
    }

    func duration(_ key: String, _ log: inout TraefikIssueLog) -> TraefikDuration? {
        guard let node = node(key) else { return nil }
        let parsed: TraefikDuration?
        switch node.value {
        case .integer(let count) where count >= 0 && count <= 9_000_000_000: parsed = .seconds(count)
        case .float(let seconds) where seconds >= 0 && seconds <= 9e9: parsed = TraefikDuration(nanoseconds: Int64(seconds * 1e9))
        case .string(let text): parsed = TraefikDuration.parse(text)
        default: parsed = nil
        }
        if parsed == nil {
            log.error(node.location, path(writtenKey(key)), "expected a duration like \"30s\", \"1m30s\", \"100ms\" or a number of seconds, found \(Self.describe(node.value))")
        }
        return parsed
    }

    /// A duration that may be negative (Go's time.ParseDuration takes "-1s"), for the options where a
    /// negative value means something: terminationDelay (no limit), dialKeepAlive (no probes).
    func signedDuration(_ key: String, _ log: inout TraefikIssueLog) -> TraefikDuration? {
        guard let node = node(key) else { return nil }
        switch node.value {
        case .integer(let count) where count < 0 && count >= -9_000_000_000: return .seconds(count)
        case .float(let seconds) where seconds < 0 && seconds >= -9e9: return TraefikDuration(nanoseconds: Int64(seconds * 1e9))
        case .string(let text) where text.hasPrefix("-"):
            if let magnitude = TraefikDuration.parse(String(text.dropFirst())) { return TraefikDuration(nanoseconds: -magnitude.nanoseconds) }
        default: break
        }
        return duration(key, &log)
    }

    /// A list of strings: an array, a comma-separated string, or a table keyed 0, 1, ….
    func strings(_ key: String, _ log: inout TraefikIssueLog) -> [String]? {
        guard let node = node(key) else { return nil }
        let keyPath = path(writtenKey(key))
        switch node.value {
        case .string(let text):
            return text.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        case .array(let elements):
            return Self.texts(elements, keyPath, &log)
        case .table(let table):
            guard let elements = Self.indexedElements(table) else { fallthrough }
            return Self.texts(elements, keyPath, &log)
        default:
            log.error(node.location, keyPath, "expected a list of strings, found \(Self.describe(node.value))")
            return nil
        }
    }

    /// The table under `key`. `true` (or the text "true", as flags and labels write it) is the table with
    /// every option at its default, `false` is no table: paerser's rule for options that are tables
    /// (`--providers.docker`, `--api=true`, `tlschallenge=true`).
    func section(_ key: String, _ log: inout TraefikIssueLog) -> TraefikSection? {
        guard let node = node(key) else { return nil }
        if isEnabledByValue(key) {
            return TraefikSection(TOMLTable(location: node.location), path: path(writtenKey(key)), log: &log)
        }
        if isDisabled(key) { return nil }
        guard case .table(let table) = node.value else {
            log.error(node.location, path(writtenKey(key)), "expected a table, found \(Self.describe(node.value))")
            return nil
        }
        return TraefikSection(table, path: path(writtenKey(key)), log: &log)
    }

    /// A list of tables: an array of tables or a table keyed 0, 1, …. Paths are "key[0]", "key[1]".
    func sections(_ key: String, _ log: inout TraefikIssueLog) -> [TraefikSection]? {
        guard let node = node(key) else { return nil }
        let keyPath = path(writtenKey(key))
        var elements: [TOMLNode]
        switch node.value {
        case .array(let array): elements = array
        case .table(let table) where Self.indexedElements(table) != nil: elements = Self.indexedElements(table) ?? []
        default:
            log.error(node.location, keyPath, "expected a list of tables, found \(Self.describe(node.value))")
            return nil
        }
        var sections: [TraefikSection] = []
        for (index, element) in elements.enumerated() {
            guard case .table(let table) = element.value else {
                log.error(element.location, "\(keyPath)[\(index)]", "expected a table, found \(Self.describe(element.value))")
                continue
            }
            sections.append(TraefikSection(table, path: "\(keyPath)[\(index)]", log: &log))
        }
        return sections
    }

    /// A table of string values (header maps): entries in source order, names as written.
    func stringMap(_ key: String, _ log: inout TraefikIssueLog) -> [TraefikKeyValue]? {
        guard let map = section(key, &log) else { return nil }
        return map.entries.compactMap { entry in
            Self.text(entry.node, map.path(entry.key), &log).map { TraefikKeyValue(key: entry.key, value: $0) }
        }
    }

    /// The named entries of a table of tables (`http.routers`): each must itself be a table.
    func namedSections(_ log: inout TraefikIssueLog) -> [(name: String, section: TraefikSection)] {
        entries.compactMap { entry in
            guard case .table(let table) = entry.node.value else {
                log.error(entry.node.location, path(entry.key), "expected a table, found \(Self.describe(entry.node.value))")
                return nil
            }
            return (entry.key, TraefikSection(table, path: path(entry.key), log: &log))
        }
    }

    // MARK: value helpers

    /// Strings, and integers as their decimal text (ports are strings in Traefik but often written bare).
    static func text(_ node: TOMLNode, _ path: String, _ log: inout TraefikIssueLog) -> String? {
        switch node.value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        default:
            log.error(node.location, path, "expected a string, found \(describe(node.value))")
            return nil
        }
    }

    static func number(_ node: TOMLNode, _ path: String, _ log: inout TraefikIssueLog) -> Double? {
        switch node.value {
        case .float(let number) where number.isFinite: return number
        case .integer(let number): return Double(number)
        case .string(let text):
            if let number = Double(text), number.isFinite { return number }
        default: break
        }
        log.error(node.location, path, "expected a number, found \(describe(node.value))")
        return nil
    }

    private static func texts(_ elements: [TOMLNode], _ path: String, _ log: inout TraefikIssueLog) -> [String] {
        elements.enumerated().compactMap { text($1, "\(path)[\($0)]", &log) }
    }

    /// The values of a table whose keys are all decimal indexes, in index order; nil otherwise.
    static func indexedElements(_ table: TOMLTable) -> [TOMLNode]? {
        guard !table.isEmpty else { return nil }
        var indexed: [(Int, TOMLNode)] = []
        for (key, node) in table.entries {
            guard key.utf8.count <= 6, key.utf8.allSatisfy(\.isDecimalDigit), let index = Int(key) else { return nil }
            indexed.append((index, node))
        }
        return indexed.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// "an integer (5)", "a string (\"x\")" for messages.
    static func describe(_ value: TOMLValue) -> String {
        switch value {
        case .string(let text): return "\"\(text)\""
        case .integer(let number): return "\(article(value)) (\(number))"
        case .bool(let flag): return "\(article(value)) (\(flag))"
        default: return article(value)
        }
    }
}

/// A name/value pair from a map such as `customRequestHeaders`, in source order.
public struct TraefikKeyValue: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (Foundation's trimming is unavailable here).
    func trimmingSpaces() -> String {
        let bytes = Array(utf8)
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
