// A small argv parser: `--name value`, `--name=value`, boolean `--flag`, and positional words.
// Kept small on purpose: swift-argument-parser pulls in FoundationEssentials (+4 MB idle, DESIGN.md).
import Config

struct ArgumentError: Error, CustomStringConvertible {
    let description: String
}

struct Arguments {
    var options: [String: String] = [:]
    var flags: Set<String> = []
    var positional: [String] = []
    /// Traefik's own flags (`--entrypoints.web.address=:80`, `--api`, `--configFile=…`), as given, with
    /// the value word that follows one without "=" (TraefikStaticArguments reads them).
    var traefikFlags: [String] = []

    /// `valued`: option names that take a value; `boolean`: flags; `traefik`: whether Traefik's flags are
    /// accepted. Anything else starting with "--" is an error that names it.
    init(_ argv: ArraySlice<String>, valued: Set<String>, boolean: Set<String>, traefik: Bool = false) throws {
        var i = argv.startIndex
        while i < argv.endIndex {
            let a = argv[i]
            i += 1
            if traefik, a.hasPrefix("-"), TraefikStaticArguments.isTraefikFlag(String(a.drop { $0 == "-" })) {
                traefikFlags.append(a)
                if !a.contains("="), TraefikStaticArguments.takesValue(i < argv.endIndex ? argv[i] : nil) {
                    traefikFlags.append(argv[i])
                    i += 1
                }
                continue
            }
            guard a.hasPrefix("--"), a.count > 2 else {
                positional.append(a)
                continue
            }
            var name = String(a.dropFirst(2))
            var value: String? = nil
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if valued.contains(name) {
                if value == nil {
                    guard i < argv.endIndex else { throw ArgumentError(description: "--\(name) needs a value") }
                    value = argv[i]
                    i += 1
                }
                options[name] = value
            } else if boolean.contains(name) && value == nil {
                flags.insert(name)
            } else {
                throw ArgumentError(description: "unknown option --\(name)")
            }
        }
    }
}
