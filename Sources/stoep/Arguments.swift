// A small argv parser: `--name value`, `--name=value`, boolean `--flag`, and positional words.
// Kept small on purpose: swift-argument-parser pulls in FoundationEssentials (+4 MB idle, DESIGN.md).

struct ArgumentError: Error, CustomStringConvertible {
    let description: String
}

struct Arguments {
    var options: [String: String] = [:]
    var flags: Set<String> = []
    var positional: [String] = []

    /// `valued`: option names that take a value; `boolean`: flags. Anything else starting with "--" is an
    /// error that names it.
    init(_ argv: ArraySlice<String>, valued: Set<String>, boolean: Set<String>) throws {
        var i = argv.startIndex
        while i < argv.endIndex {
            let a = argv[i]
            i += 1
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
