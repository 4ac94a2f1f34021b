// One dnsmasq option as it was written, wherever it came from: a dnsmasq.conf line
// (`key=value` or a bare `key`), or an entry of stoep's TOML [dns] table converted by the
// config loader. Keeping file and line lets every error and every unsupported option
// point at its source.

public struct DNSOptionLine: Equatable, Sendable, CustomStringConvertible {
    public var name: String
    /// nil for a bare flag (`no-resolv`); "" for `key=`.
    public var value: String?
    public var file: String
    public var line: Int

    public init(name: String, value: String?, file: String, line: Int) {
        self.name = name
        self.value = value
        self.file = file
        self.line = line
    }

    public var location: String { "\(file):\(line)" }
    public var description: String { value.map { "\(name)=\($0)" } ?? name }
}
