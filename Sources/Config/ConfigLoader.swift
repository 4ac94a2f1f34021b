// Config takes one thing from the Reactor, its bounded whole-file read (docs/architecture.md, Layers, says
// why it is not a module of its own); the scoped import keeps it to that.
import func Reactor.readWholeFile

// Reads stoep's configuration: file → TOML → validated StoepConfig, or the complete list of what is wrong.
// A static configuration fails as a whole: no half-applied config, and every error is shown at once.

public enum ConfigLoader {
    /// Larger files are refused: a config is a few kilobytes, and this bounds memory for a wrong path
    /// (a log file, /dev/zero).
    static let maximumFileBytes = 4 << 20

    /// Parses and validates `text`; `file` is used in error locations and as `StoepConfig.source`.
    /// Errors are in file order.
    public static func parse(text: String, file: String) -> Result<StoepConfig, ConfigErrors> {
        let (table, syntaxErrors) = TOMLParser.parse(text, file: file)
        var diagnostics = ConfigDiagnostics()
        diagnostics.reportsMissingKeys = syntaxErrors.isEmpty
        let config = StoepConfigDecoder.decode(table, source: file, diagnostics: &diagnostics)
        let all = syntaxErrors + diagnostics.errors
        guard all.isEmpty else { return .failure(ConfigErrors(sortedByPosition(all))) }
        return .success(config)
    }

    /// Reads `path` and parses it; an unreadable file is one error naming the file and the reason.
    public static func load(path: String) -> Result<StoepConfig, ConfigErrors> {
        switch readFile(path) {
        case .success(let text): return parse(text: text, file: path)
        case .failure(let error): return .failure(ConfigErrors([error]))
        }
    }

    /// The built-in configuration (`StoepConfig.embeddedDefaultText`), with source "embedded default".
    public static func embeddedDefault() -> Result<StoepConfig, ConfigErrors> {
        parse(text: StoepConfig.embeddedDefaultText, file: StoepConfig.embeddedDefaultSource)
    }

    /// Stable sort by line then column; errors without a location go first (they concern the whole file).
    private static func sortedByPosition(_ errors: [ConfigError]) -> [ConfigError] {
        errors.enumerated().sorted { a, b in
            let left = (a.element.location?.line ?? 0, a.element.location?.column ?? 0, a.offset)
            let right = (b.element.location?.line ?? 0, b.element.location?.column ?? 0, b.offset)
            return left < right
        }.map(\.element)
    }

    /// The whole file as text (invalid UTF-8 is replaced with U+FFFD, which TOML then reports where it
    /// matters). Blocking reads are fine here: this runs before the reactor starts.
    static func readFile(_ path: String) -> Result<String, ConfigError> {
        switch readWholeFile(path, limit: maximumFileBytes) {
        case .success(let bytes):
            return .success(String(decoding: bytes, as: UTF8.self))
        case .failure(.system(let e)):
            return .failure(ConfigError(location: nil, message: "cannot read config file '\(path)': \(e)"))
        case .failure(.tooLarge):
            return .failure(ConfigError(location: nil, message: "cannot read config file '\(path)': larger than \(maximumFileBytes >> 20) MiB; expected a TOML config file"))
        }
    }
}
