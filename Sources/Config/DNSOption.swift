// One dnsmasq option as it was written, wherever it came from: a dnsmasq.conf line (`key=value` or a
// bare `key`, read by the DNS module's DnsmasqConfReader), an entry of stoep's TOML `[dns]` table, or a
// hardware profile's default. `[dns]` carries dnsmasq options by their dnsmasq names, so a dnsmasq.conf
// line `address=/lan/10.0.0.1` becomes `address = "/lan/10.0.0.1"`. This file only turns TOML values into
// options; which names and values are valid is the DNS module's business. Keeping file and line lets
// every error and every unsupported option point at its source.

/// One dnsmasq option: `name=value`, or a bare flag such as `no-resolv` (value nil; "" for `key=`).
public struct DNSOption: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var value: String?
    public var location: SourceLocation
    /// Where the option was written: stoep's own keys (`blocklists`, …) are refused in a dnsmasq.conf,
    /// which dnsmasq itself must still be able to read.
    public var origin: Origin

    public enum Origin: Sendable, Equatable {
        case dnsmasqConf
        case stoepTOML
    }

    public init(name: String, value: String?, location: SourceLocation, origin: Origin = .dnsmasqConf) {
        self.name = name
        self.value = value
        self.location = location
        self.origin = origin
    }

    /// A line of a dnsmasq-style file: the option starts its line.
    public init(name: String, value: String?, file: String, line: Int) {
        self.init(name: name, value: value, location: SourceLocation(file: file, line: line, column: 1))
    }

    /// "file:line", the form the DNS module's messages give (dnsmasq has one option per line).
    public var fileAndLine: String { "\(location.file):\(location.line)" }

    /// The dnsmasq.conf line: `name=value` or `name`.
    public var description: String { value.map { "\(name)=\($0)" } ?? name }

    /// Converts a `[dns]` table: string or integer → one option; array → one option per element (in order);
    /// `true` → flag; `false` → nothing. Anything else is an error naming the key.
    static func options(from table: TOMLTable, diagnostics: inout ConfigDiagnostics) -> [DNSOption] {
        var options: [DNSOption] = []
        for (name, node) in table.entries {
            switch node.value {
            case .bool(true):
                options.append(DNSOption(name: name, value: nil, location: node.location, origin: .stoepTOML))
            case .bool(false):
                continue
            case .array(let elements):
                for element in elements {
                    if let value = scalarText(element.value) {
                        options.append(DNSOption(name: name, value: value, location: element.location, origin: .stoepTOML))
                    } else {
                        diagnostics.add(element.location, "[dns] \(name): expected each array element to be a string or integer, found \(article(element.value))")
                    }
                }
            default:
                if let value = scalarText(node.value) {
                    options.append(DNSOption(name: name, value: value, location: node.location, origin: .stoepTOML))
                } else {
                    diagnostics.add(node.location, "[dns] \(name): expected a string, integer, boolean or array of those (a dnsmasq option value), found \(article(node.value))")
                }
            }
        }
        return options
    }

    private static func scalarText(_ value: TOMLValue) -> String? {
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        default: return nil
        }
    }
}

/// "a string", "an integer", … for messages.
func article(_ value: TOMLValue) -> String {
    let name = value.typeName
    return (name.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + name
}
