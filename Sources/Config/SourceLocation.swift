// Where a configuration value or error came from, and the error type every config reader returns.
// Locations are 1-based; columns count Unicode scalars from the start of the line, so they match what an
// editor shows for UTF-8 files.

/// A position in a configuration file. `description` is "file:line:col", the form editors and compilers use.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// Line 0 = no line (a Docker container's labels, a whole file): the origin alone.
    public var description: String { line == 0 ? file : "\(file):\(line):\(column)" }
}

/// One problem found while reading configuration: a syntax error, a redefinition, or a value that does not
/// fit the model. `description` is "file:line:col: message" when the location is known, else the message
/// alone (an unreadable file names itself in the message).
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String

    public init(location: SourceLocation?, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String {
        guard let location else { return message }
        return "\(location): \(message)"
    }
}

/// Every error found in one configuration source, in file order. A static configuration is rejected as a
/// whole when this is non-empty, so the user can fix all problems in one edit.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One error per line, as `stoep check` prints them.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
