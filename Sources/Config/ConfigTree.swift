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
}
