// lego's DNS providers take their settings from the environment (EXEC_PATH, HTTPREQ_ENDPOINT…), and
// Traefik passes its own environment to lego unchanged; stoep reads the same variables the same way
// (lego's platform/config/env): a value `NAME`, or the trimmed contents of the file `NAME_FILE` names
// (Docker secrets), and durations as whole seconds. Every variable of a provider's prefix is either
// honoured or named in a warning; a value that does not parse is a warning and the default applies.
import Reactor

/// Why a DNS-01 solver cannot be made (a missing EXEC_PATH, an endpoint that is not a URL…), or why a
/// hook failed.
public struct DNS01Error: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One provider's view of the environment, with the warnings its reading produced.
struct DNS01Environment {
    let variables: [String: String]
    /// The provider's prefix ("EXEC_", "HTTPREQ_").
    let prefix: String
    /// Lines for the log: values refused or replaced by their default.
    private(set) var warnings: [String] = []

    init(_ variables: [String: String], prefix: String) {
        self.variables = variables
        self.prefix = prefix
    }

    /// `NAME`, else the trimmed contents of the file `NAME_FILE` names (lego's env.GetOrFile); nil when
    /// neither is set or the file cannot be read (a warning then).
    mutating func value(_ name: String) -> String? {
        if let v = variables[name] { return v }
        guard let path = variables[name + "_FILE"] else { return nil }
        switch readWholeFile(path, limit: 64 << 10) {
        case .success(let bytes):
            return String(decoding: bytes, as: UTF8.self).trimmingWhiteSpace
        case .failure(let error):
            warnings.append("\(name)_FILE=\(path): cannot read (\(error))")
            return nil
        }
    }

    /// A duration in whole seconds (lego's env.GetOrDefaultSecond), in nanoseconds; `fallback` when unset
    /// or not a positive number of seconds (a warning then).
    mutating func seconds(_ name: String, default fallback: UInt64) -> UInt64 {
        guard let text = value(name) else { return fallback }
        guard let s = UInt64(text), s > 0, s < 1 << 32 else {
            warnings.append("\(name)=\(text): not a whole number of seconds; using \(fallback / 1_000_000_000) s")
            return fallback
        }
        return s * 1_000_000_000
    }

    mutating func warn(_ line: String) { warnings.append(line) }

    /// Warns about every variable of the prefix that is neither in `known` (honoured) nor in `refused`
    /// (named with the reason stoep does not follow it).
    mutating func check(known: [String], refused: [String: String]) {
        for name in variables.keys.sorted() where name.hasPrefix(prefix) {
            let base = name.hasSuffix("_FILE") ? String(name.dropLast(5)) : name
            if known.contains(base) { continue }
            if let reason = refused[base] {
                warnings.append("\(name) is not supported: \(reason)")
            } else {
                warnings.append("\(name) is not a setting of lego's \(prefix.dropLast().lowercased()) provider; ignored")
            }
        }
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line ends (Go's strings.TrimSpace for ASCII).
    var trimmingWhiteSpace: String {
        func space(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        var bytes = Array(utf8)[...]
        while let b = bytes.first, space(b) { bytes.removeFirst() }
        while let b = bytes.last, space(b) { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
