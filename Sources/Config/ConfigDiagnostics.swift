// Collects every problem found while turning a TOML table into the model, and reads typed fields
// with messages that say what was expected.

struct ConfigDiagnostics {
    var errors: [ConfigError] = []
    /// False when the TOML had syntax errors: a key that failed to parse looks missing, so
    /// "missing key" would be a second, misleading error for the same mistake.
    var reportsMissingKeys = true

    mutating func add(_ location: SourceLocation?, _ message: String) {
        errors.append(ConfigError(location: location, message: message))
    }

    mutating func missing(_ location: SourceLocation, _ message: String) {
        if reportsMissingKeys { add(location, message) }
    }
}

/// Typed access to one table of the model, recording a diagnostic for each wrongly typed value.
/// `context` names the table in messages ("[stats]", "[[forward]] #2", "top level").
struct SectionReader {
    let table: TOMLTable
    let context: String

    /// Reports every key not in `allowed` (nor in `reportedElsewhere`, refused with its own reason),
    /// suggesting the closest allowed key.
    func rejectUnknownKeys(allowed: [String], reportedElsewhere: [String] = [], diagnostics: inout ConfigDiagnostics) {
        for (key, node) in table.entries where !allowed.contains(key) && !reportedElsewhere.contains(key) {
            var message = "unknown key '\(key)' in \(context); expected one of: \(allowed.joined(separator: ", "))"
            if let guess = KeySuggestion.closest(to: key, among: allowed) { message += " (did you mean '\(guess)'?)" }
            diagnostics.add(node.location, message)
        }
    }

    func string(_ key: String, diagnostics: inout ConfigDiagnostics) -> (String, SourceLocation)? {
        guard let node = table[key] else { return nil }
        guard case .string(let text) = node.value else {
            diagnostics.add(node.location, "\(context) \(key): expected a string, found \(article(node.value))")
            return nil
        }
        return (text, node.location)
    }

    func bool(_ key: String, diagnostics: inout ConfigDiagnostics) -> Bool? {
        guard let node = table[key] else { return nil }
        guard case .bool(let flag) = node.value else {
            diagnostics.add(node.location, "\(context) \(key): expected true or false, found \(article(node.value))")
            return nil
        }
        return flag
    }

    /// A duration in seconds written as an integer or a float; must be positive and finite.
    func seconds(_ key: String, diagnostics: inout ConfigDiagnostics) -> Double? {
        guard let node = table[key] else { return nil }
        let seconds: Double
        switch node.value {
        case .integer(let number): seconds = Double(number)
        case .float(let number): seconds = number
        default:
            diagnostics.add(node.location, "\(context) \(key): expected a number of seconds (like 5 or 2.5), found \(article(node.value))")
            return nil
        }
        guard seconds > 0 && seconds.isFinite else {
            diagnostics.add(node.location, "\(context) \(key): expected a positive number of seconds, found \(seconds)")
            return nil
        }
        return seconds
    }

    /// A `host:port` address; `required` reports its absence.
    func address(_ key: String, required: Bool, diagnostics: inout ConfigDiagnostics) -> HostPort? {
        guard table[key] != nil else {
            if required {
                diagnostics.missing(table.location, "\(context) is missing '\(key)'; expected an address like \"127.0.0.1:7000\", \"[::1]:7000\" or \":7000\"")
            }
            return nil
        }
        guard let (text, location) = string(key, diagnostics: &diagnostics) else { return nil }
        guard let address = HostPort.parse(text) else {
            diagnostics.add(location, "\(context) \(key): expected IPv4:port, [IPv6]:port or :port with port 1-65535 (host names are not resolved), found \"\(text)\"")
            return nil
        }
        return address
    }
}

/// "Did you mean" for misspelt keys: the allowed key within a small edit distance, if any.
enum KeySuggestion {
    static func closest(to key: String, among candidates: [String]) -> String? {
        let lowered = Array(key.lowercased().utf8)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, Array(candidate.lowercased().utf8))
            if distance <= max(1, candidate.utf8.count / 3), distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// Levenshtein distance, two rows at a time.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
