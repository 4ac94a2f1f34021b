// Where Traefik's static configuration comes from, chosen as Traefik chooses (cmd/traefik/traefik.go:
// loaders FileLoader, FlagLoader, EnvLoader; the first that finds anything wins, the others are not read):
// a file (`--traefik-config`, Traefik's own `--configFile`, else the first of Traefik's default locations
// that exists), else the flags, else the TRAEFIK_* environment. Unlike Traefik, what the winner leaves
// unread is named in a warning, and a `--configFile` that does not exist is an error rather than a silent
// fall-back to the default locations.
import Config
import Glibc

enum TraefikStaticSource: Equatable {
    case file(String)
    /// Traefik's flags as given on the command line (`--entrypoints.web.address=:80` …).
    case flags([String])
    /// The TRAEFIK_* environment variables.
    case environment([String: String])

    /// Traefik's default locations (paerser cli.Finder in pkg/cli/loader_file.go), in its order.
    static func defaultLocations(environment: [String: String]) -> [String] {
        var bases = ["/etc/traefik/traefik"]
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { bases.append(xdg + "/traefik") }
        if let home = environment["HOME"], !home.isEmpty { bases.append(home + "/.config/traefik") }
        bases.append("./traefik")
        return bases.flatMap { base in ["toml", "yaml", "yml"].map { "\(base).\($0)" } }
    }

    /// The one source Traefik would read, and a warning for each flag or variable it leaves unread.
    /// `file`: `--traefik-config`; `flags`: Traefik's flags (a `--configFile` among them names the file);
    /// `searchDefaults`: look in Traefik's default locations when no file is named (off when stoep's own
    /// `--config` is given, so a stoep set-up never picks up a Traefik file lying around).
    static func choose(file: String?, flags: [String], environment: [String: String], searchDefaults: Bool)
        -> (source: TraefikStaticSource?, warnings: [String]) {
        let (entries, _) = TraefikStaticArguments.parseFlags(flags)
        let configFile = entries.last { $0.key.lowercased() == "configfile" }?.value
        let options = entries.filter { $0.key.lowercased() != "configfile" }
        let variables = TraefikStaticArguments.environmentEntries(environment)
        var path = file ?? configFile
        if path == nil && searchDefaults {
            path = defaultLocations(environment: environment).first { access($0, F_OK) == 0 }
        }
        if let path {
            let why = "ignored: Traefik reads only its configuration file (\(path)) when there is one"
            return (.file(path), options.map { "\($0.origin): \(why)" } + variables.map { "\($0.origin): \(why)" })
        }
        if !flags.isEmpty {
            let why = "ignored: Traefik reads only its flags when any is given"
            return (.flags(flags), variables.map { "\($0.origin): \(why)" })
        }
        if !variables.isEmpty {
            return (.environment(environment.filter { $0.key.uppercased().hasPrefix("TRAEFIK_") }), [])
        }
        return (nil, [])
    }

    var description: String {
        switch self {
        case .file(let path): return "traefik:\(path)"
        case .flags: return "Traefik flags"
        case .environment: return "TRAEFIK_* environment"
        }
    }

    /// The configuration tree and the errors met reading it. Unknown keys of flags and variables are errors
    /// (Traefik refuses them: "field not found"); a file's are warnings.
    func read() -> (tree: TOMLTable, errors: [ConfigError], unknownKeysAreErrors: Bool) {
        switch self {
        case .file(let path):
            let (tree, errors) = ConfigLoader.loadTree(path: path)
            return (tree, errors, false)
        case .flags(let words):
            let (entries, parseErrors) = TraefikStaticArguments.parseFlags(words)
            let (tree, errors) = TraefikStaticArguments.tree(entries)
            return (tree, parseErrors + errors, true)
        case .environment(let variables):
            let (tree, errors) = TraefikStaticArguments.tree(TraefikStaticArguments.environmentEntries(variables))
            return (tree, errors, true)
        }
    }
}
