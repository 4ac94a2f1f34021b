// One entry point for "read this config file into a tree", whatever its format, so callers (the static
// config, Traefik's file provider) need not care whether the user wrote TOML or YAML.

/// The syntax of a configuration file, chosen by its extension as Traefik does.
public enum ConfigFormat: Sendable, Equatable {
    case toml
    case yaml

    /// `.toml` → TOML, `.yml`/`.yaml` → YAML (any letter case); nil for any other extension.
    public static func detect(path: String) -> ConfigFormat? {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "toml": return .toml
        case "yml", "yaml": return .yaml
        default: return nil
        }
    }
}

extension ConfigLoader {
    /// Parses `text` as TOML or YAML according to `file`'s extension; an unknown extension is read as
    /// TOML, stoep's own config format. Same contract as `TOMLParser.parse`: the tree built from what
    /// could be read plus every error, in file order.
    public static func parseTree(text: String, file: String) -> (TOMLTable, [ConfigError]) {
        switch ConfigFormat.detect(path: file) ?? .toml {
        case .toml: return TOMLParser.parse(text, file: file)
        case .yaml: return YAMLReader.parse(text, file: file)
        }
    }

    /// Reads `path` and parses it with `parseTree`; an unreadable file is one error naming the file.
    public static func loadTree(path: String) -> (TOMLTable, [ConfigError]) {
        switch readFile(path) {
        case .success(let text): return parseTree(text: text, file: path)
        case .failure(let error): return (TOMLTable(location: SourceLocation(file: path, line: 1, column: 1)), [error])
        }
    }

    /// A file-provider file: as `loadTree`, after expanding its Go template actions as Traefik does
    /// (GoTemplate; a file without `{{` is parsed as it is). A template error is one error at the template's
    /// line; parse errors in an expanded file carry lines of the expansion, so they say so.
    public static func loadTemplatedTree(path: String, environment: [String: String]) -> (TOMLTable, [ConfigError]) {
        let text: String
        switch readFile(path) {
        case .success(let t): text = t
        case .failure(let error): return (TOMLTable(location: SourceLocation(file: path, line: 1, column: 1)), [error])
        }
        guard GoTemplate.needsExpansion(text) else { return parseTree(text: text, file: path) }
        switch GoTemplate.expand(text, environment: environment) {
        case .success(let expanded):
            let (tree, errors) = parseTree(text: expanded, file: path)
            return (tree, errors.map { ConfigError(location: $0.location, message: $0.message + " (line of the expanded template)") })
        case .failure(let error):
            return (TOMLTable(location: SourceLocation(file: path, line: 1, column: 1)),
                    [ConfigError(location: SourceLocation(file: path, line: error.line, column: 1), message: error.description)])
        }
    }

    /// True when `path` holds Go template actions (only file-provider files may: Traefik expands no other).
    public static func usesTemplates(path: String) -> Bool {
        guard case .success(let text) = readFile(path) else { return false }
        return GoTemplate.needsExpansion(text)
    }
}
