// Problems found while reading Traefik configuration. Dynamic configuration never fails as a whole:
// an `.error` drops the one router/service/middleware it was found in and the rest is kept, the way
// Traefik logs a broken router and serves the others. Static configuration is refused when any issue
// is an `.error` (the caller decides; this module only reports).

/// One problem in a Traefik configuration, with the TOML/YAML/label position and the Traefik key path
/// ("http.routers.web.rule") so the user can find it whichever syntax they wrote.
public struct ConfigIssue: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        /// The entry (router, service, middleware, entry point…) holding it is skipped.
        case error
        /// Reported, but the entry is kept (unknown key, ignored option, unsupported but harmless feature).
        case warning
    }

    public var location: SourceLocation
    /// Dotted Traefik path of the key, entry names as written: "http.routers.web.rule".
    public var path: String
    public var message: String
    public var severity: Severity

    public init(location: SourceLocation, path: String, message: String, severity: Severity) {
        self.location = location
        self.path = path
        self.message = message
        self.severity = severity
    }

    /// "file:line:col: error: http.routers.web.rule: message".
    public var description: String { "\(location): \(severity.rawValue): \(path): \(message)" }
}

/// Collects issues during one decode. `errorCount` lets a decoder tell whether the entry it is reading
/// picked up an error (compare before/after) and must be skipped.
struct TraefikIssueLog {
    private(set) var issues: [ConfigIssue] = []
    private(set) var errorCount = 0
    /// Paths already reported, so a key reached twice (e.g. through an alias) is listed once.
    private var reported: Set<String> = []
    /// Unknown keys are errors rather than warnings: flags and environment variables, which Traefik
    /// refuses to start on ("field not found"), where a file's unknown key is only ignored.
    var unknownKeysAreErrors = false

    mutating func error(_ location: SourceLocation, _ path: String, _ message: String) {
        errorCount += 1
        issues.append(ConfigIssue(location: location, path: path, message: message, severity: .error))
    }

    mutating func warning(_ location: SourceLocation, _ path: String, _ message: String) {
        guard reported.insert(path + "\u{0}" + message).inserted else { return }
        issues.append(ConfigIssue(location: location, path: path, message: message, severity: .warning))
    }

    /// A key the decoder does not know: a warning, or an error under `unknownKeysAreErrors`.
    mutating func unknownKey(_ location: SourceLocation, _ path: String, _ message: String) {
        if unknownKeysAreErrors { error(location, path, message) } else { warning(location, path, message) }
    }

    /// Runs `body` and says whether it recorded an error: the caller skips the entry if so.
    mutating func decodeEntry<T>(_ body: (inout TraefikIssueLog) -> T?) -> T? {
        let before = errorCount
        let value = body(&self)
        return errorCount == before ? value : nil
    }
}
