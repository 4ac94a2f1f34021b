// Traefik's static configuration from command-line flags and TRAEFIK_* environment variables, turned into
// the same tree a traefik.yml/.toml gives, so the one decoder (TraefikStaticDecoder) reads all three
// sources and every issue names the flag or variable it came from ("flag --entrypoints.web.address").
// The rules are paerser's, which Traefik uses (github.com/traefik/paerser flag/flagparser.go, env/env.go,
// parser/labels_decode.go):
// - `--key=value` or `-key=value`; keys are dotted paths, case-insensitive; `name[n]` indexes a list of
//   tables (`--entrypoints.websecure.http.tls.domains[0].main=example.org`); lists of strings are
//   comma-separated (`--entrypoints.web.forwardedheaders.trustedips=10.0.0.0/8,192.168.0.0/16`).
// - `--key` alone is "true": booleans by presence, and options that are tables (`--providers.docker`,
//   `--api`, `--certificatesresolvers.le.acme.tlschallenge`) are enabled with their defaults.
// - `--key value` (no `=`) takes the next word as its value. paerser decides by the option's Go type
//   (a boolean never takes the next word); stoep has no such schema and takes the next word when it does
//   not begin with "-". The two agree on every command line Traefik reads correctly; where Traefik would
//   stop reading flags at a stray word, stoep reads it as a value, which the decoder then refuses.
// - A key given twice: paerser joins the values of a list option with "," and keeps the last of others;
//   stoep keeps both as a list, which a list option reads as paerser does and any other option refuses.
// - Environment: a variable `TRAEFIK_A_B_C=v` is the key `a.b.c` (every "_" is a ".", so names holding
//   "_" cannot be written this way, as in Traefik). They are read only when at least one variable starts
//   with TRAEFIK_ and a top-level key (TRAEFIK_ENTRYPOINTS…, TRAEFIK_PROVIDERS…), as Traefik's EnvLoader
//   does; then every TRAEFIK_* variable is part of the configuration.

/// One key/value pair of a flat source: a flag or an environment variable.
public struct TraefikFlatEntry: Sendable, Hashable {
    /// Dotted path, as written ("entrypoints.web.address").
    public var key: String
    public var value: String
    /// Where it came from, used as the file of its SourceLocation: "flag --entrypoints.web.address".
    public var origin: String

    public init(key: String, value: String, origin: String) {
        self.key = key
        self.value = value
        self.origin = origin
    }
}

public enum TraefikStaticArguments {
    /// Top-level keys of Traefik 3.7's static configuration (pkg/config/static, `Configuration`), lower-cased.
    public static let rootKeys = ["global", "serverstransport", "tcpserverstransport", "entrypoints", "providers", "api", "metrics",
                                  "ping", "log", "accesslog", "tracing", "hostresolver", "certificatesresolvers", "experimental",
                                  "core", "spiffe", "ocsp"]
    static let environmentPrefix = "TRAEFIK_"

    /// Whether `name` (a flag without its dashes and value) is one of Traefik's: its first path segment is a
    /// top-level key of the static configuration, or it is `configFile` (any case).
    public static func isTraefikFlag(_ name: String) -> Bool {
        let key = name.split(separator: "=", maxSplits: 1).first.map(String.init) ?? name
        if key.lowercased() == "configfile" { return true }
        let first = key.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let root = first.split(separator: "[", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        return rootKeys.contains(root)
    }

    /// Whether a flag word without "=" takes `next` as its value (see the file's header).
    public static func takesValue(_ next: String?) -> Bool {
        guard let next else { return false }
        return !next.hasPrefix("-")
    }

    /// Traefik flags (`--key=value`, `--key value`, `--key`) as flat entries; malformed words are errors.
    public static func parseFlags(_ words: [String]) -> ([TraefikFlatEntry], [ConfigError]) {
        var entries: [TraefikFlatEntry] = []
        var errors: [ConfigError] = []
        var i = 0
        while i < words.count {
            let word = words[i]
            i += 1
            let dashes = word.hasPrefix("--") ? 2 : word.hasPrefix("-") ? 1 : 0
            var name = String(word.dropFirst(dashes))
            guard dashes > 0, let first = name.first, first != "-", first != "=" else {
                errors.append(ConfigError(location: nil, message: "flag \(word): expected --key=value, --key value or --key"))
                continue
            }
            var value = "true"
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            } else if takesValue(i < words.count ? words[i] : nil) {
                value = words[i]
                i += 1
            }
            entries.append(TraefikFlatEntry(key: name, value: value, origin: "flag --\(name)"))
        }
        return (entries, errors)
    }

    /// The TRAEFIK_* variables as flat entries, in key order; empty when none starts with TRAEFIK_ and a
    /// top-level key (Traefik then does not read the environment at all).
    public static func environmentEntries(_ environment: [String: String]) -> [TraefikFlatEntry] {
        let roots = rootKeys.map { environmentPrefix + $0.uppercased() }
        guard environment.keys.contains(where: { name in roots.contains { name.hasPrefix($0) } }) else { return [] }
        // In key order, as paerser sorts them (so "entrypoints.web" comes before "entrypoints.websecure").
        return environment.keys.compactMap { name -> TraefikFlatEntry? in
            guard name.uppercased().hasPrefix(environmentPrefix), let value = environment[name] else { return nil }
            // Every "_" is a "." (Foundation's replacing is unavailable here).
            let key = String(name.dropFirst(environmentPrefix.count).lowercased().map { $0 == "_" ? "." : $0 })
            return TraefikFlatEntry(key: key, value: value, origin: "env \(name)")
        }.sorted { ($0.key, $0.origin) < ($1.key, $1.origin) }
    }

    /// The entries as a configuration tree (what a YAML file with the same keys gives): keys as written,
    /// merged case-insensitively; every node located at the flag or variable that made it. A key given
    /// twice becomes a list of its values. `configFile` is left out (it names a file, not an option).
    public static func tree(_ entries: [TraefikFlatEntry]) -> (TOMLTable, [ConfigError]) {
        var root = TOMLTable(location: SourceLocation(file: entries.first?.origin ?? "flags", line: 0, column: 0))
        var errors: [ConfigError] = []
        for entry in entries where entry.key.lowercased() != "configfile" {
            let location = SourceLocation(file: entry.origin, line: 0, column: 0)
            guard let path = split(entry.key) else {
                errors.append(ConfigError(location: location, message: "malformed key \"\(entry.key)\" (an empty part or a bad [index])"))
                continue
            }
            if let why = insert(entry.value, at: path[...], into: &root, location: location) {
                errors.append(ConfigError(location: location, message: why))
            }
        }
        return (root, errors)
    }

    /// "a.b[0].c" → ["a", "b", "0", "c"]; nil for an empty part or an index that is not a number (at most
    /// six digits). Docker labels use the same syntax (Discovery's LabelTree).
    public static func split(_ key: String) -> [String]? {
        var out: [String] = []
        for part in key.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { return nil }
            guard let open = part.firstIndex(of: "[") else {
                out.append(String(part))
                continue
            }
            guard part.last == "]", open != part.startIndex else { return nil }
            let index = part[part.index(after: open)..<part.index(before: part.endIndex)]
            guard !index.isEmpty, index.count <= 6, index.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            out.append(String(part[..<open]))
            out.append(String(Int(index) ?? 0))
        }
        return out
    }

    /// Places `value` at `path`; returns why not. "true" beside options under the same key is what enabling
    /// a table looks like (`--providers.docker --providers.docker.network=proxy`): the options win.
    static func insert(_ value: String, at path: ArraySlice<String>, into table: inout TOMLTable, location: SourceLocation) -> String? {
        guard let head = path.first else { return nil }
        let key = table.keys.first { $0.lowercased() == head.lowercased() } ?? head
        let leaf = TOMLNode(value: .string(value), location: location)
        if path.count == 1 {
            switch table[key]?.value {
            case nil:
                table.set(key, leaf)
            case .table:
                if value.lowercased() != "true" { return "\(head) also holds options; a value \"\(value)\" cannot be set on it" }
            case .array(let values):
                table.set(key, TOMLNode(value: .array(values + [leaf]), location: table[key]?.location ?? location))
            case .some:
                table.set(key, TOMLNode(value: .array([table[key] ?? leaf, leaf]), location: table[key]?.location ?? location))
            }
            return nil
        }
        var child = TOMLTable(location: table[key]?.location ?? location)
        switch table[key]?.value {
        case .table(let existing)?: child = existing
        case .string(let text)? where text.lowercased() == "true": break
        case nil: break
        case .some:
            return "\(head) is also given a value; it cannot hold options too"
        }
        let why = insert(value, at: path.dropFirst(), into: &child, location: location)
        table.set(key, TOMLNode(value: .table(child), location: table[key]?.location ?? location))
        return why
    }
}
