// Traefik's Docker labels as the configuration tree the file provider's TOML/YAML also produces, so the
// one dynamic-configuration decoder (Config/Traefik) reads all of them. Traefik's label syntax
// (pkg/config/label, paerser): `traefik.` + a dotted path; `name[n]` indexes a list
// (`tls.domains[0].main`); values are text, typed later by the decoder; keys are case-insensitive,
// which the decoder handles (TraefikSection). `traefik.enable`, `traefik.docker.*` and `traefik.swarm.*` configure the
// provider, not routing, and are left out here.
import Config

/// A label that cannot be placed in the tree: its key as written and why.
public struct LabelProblem: Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "label \(key): \(message)" }
}

public enum LabelTree {
    /// The routing part of `labels` as a tree rooted at `http`/`tcp`/`udp`/`tls`. Labels are placed in
    /// key order so that the result does not depend on the order Docker lists them in. `origin` names the
    /// container in the nodes' locations ("docker container nextcloud").
    public static func build(_ labels: [String: String], origin: String) -> (TOMLTable, [LabelProblem]) {
        let location = SourceLocation(file: origin, line: 0, column: 0)
        var root = TOMLTable(location: location)
        var problems: [LabelProblem] = []
        for key in labels.keys.sorted() {
            guard let value = labels[key], let path = routingPath(key) else { continue }
            guard let segments = split(path) else {
                problems.append(LabelProblem(key: key, message: "malformed key (empty part or bad [index])"))
                continue
            }
            if let why = insert(value, at: segments[...], into: &root, location: location) {
                problems.append(LabelProblem(key: key, message: why))
            }
        }
        return (root, problems)
    }

    /// The path after `traefik.` for routing labels; nil for other labels and the provider's own.
    static func routingPath(_ key: String) -> Substring? {
        let lower = key.lowercased()
        guard lower.hasPrefix("traefik.") else { return nil }
        if lower == "traefik.enable" || lower.hasPrefix("traefik.docker.") || lower.hasPrefix("traefik.swarm.") { return nil }
        return key.dropFirst("traefik.".count)
    }

    /// "a.b[0].c" → ["a", "b", "0", "c"]; nil for an empty part or an index that is not a number. The same
    /// syntax as Traefik's flags (paerser's), so the same reading.
    static func split(_ path: Substring) -> [String]? { TraefikStaticArguments.split(String(path)) }

    /// Places `value` at `path`; returns why not when the path collides with an existing value.
    /// `tls=true` beside `tls.certresolver=x` is normal: the table wins (it implies TLS on), as in Traefik.
    static func insert(_ value: String, at path: ArraySlice<String>, into table: inout TOMLTable, location: SourceLocation) -> String? {
        guard let head = path.first else { return nil }
        let key = existingKey(head, in: table) ?? head
        if path.count == 1 {
            if let existing = table[key], case .table = existing.value {
                return value.lowercased() == "true" ? nil : "\(head) is also a table of options; value \"\(value)\" ignored"
            }
            table.set(key, TOMLNode(value: .string(value), location: location))
            return nil
        }
        var child = TOMLTable(location: location)
        if let existing = table[key] {
            if case .table(let t) = existing.value {
                child = t
            } else if case .string(let s) = existing.value, s.lowercased() != "true" {
                return "\(head) is also set to \"\(s)\"; cannot hold options too"
            }
        }
        let why = insert(value, at: path.dropFirst(), into: &child, location: location)
        table.set(key, TOMLNode(value: .table(child), location: location))
        return why
    }

    /// The key already in `table` that equals `key` ignoring case (labels are case-insensitive).
    static func existingKey(_ key: String, in table: TOMLTable) -> String? {
        if table[key] != nil { return key }
        let folded = key.lowercased()
        return table.keys.first { $0.lowercased() == folded }
    }
}

extension TOMLTable {
    /// The entry under `key`, compared ignoring case (Traefik keys are case-insensitive).
    func entry(_ key: String) -> (key: String, node: TOMLNode)? {
        guard let k = LabelTree.existingKey(key, in: self), let node = self[k] else { return nil }
        return (k, node)
    }

    /// The table under `key` (any case), or nil.
    func table(_ key: String) -> TOMLTable? {
        guard let (_, node) = entry(key), case .table(let t) = node.value else { return nil }
        return t
    }

    /// The text under `key` (any case), or nil.
    func text(_ key: String) -> String? {
        guard let (_, node) = entry(key), case .string(let s) = node.value else { return nil }
        return s
    }

    /// Removes `key` (any case); the key order of the others is kept.
    mutating func remove(_ key: String) {
        guard let k = LabelTree.existingKey(key, in: self) else { return }
        var copy = TOMLTable(location: location)
        for (other, node) in entries where other != k { copy.set(other, node) }
        self = copy
    }

    /// Sets the table under `key`, reusing the existing key's spelling.
    mutating func setTable(_ key: String, _ value: TOMLTable) {
        set(LabelTree.existingKey(key, in: self) ?? key, TOMLNode(value: .table(value), location: value.location))
    }
}
