// `[cluster]` of stoep's TOML (docs/cluster.md, "The cluster channel"): where this stoep listens for its
// peers, where the cluster CA's secret is mounted, and how the peers are found in the Swarm API.
//
//   [cluster]
//   address = ":8443"                             # required; on the overlay, never published
//   ca = "/run/secrets/stoep-cluster-ca"          # the default: the Swarm secret's mount
//   service = "edge_stoep"                        # stoep's own Swarm service (else $STOEP_CLUSTER_SERVICE)
//   network = "community"                         # the overlay the peers are reached on (else providers.swarm.network)
//   timeout = 2                                   # seconds a peer has to answer (0 < t <= 5)
//
// A stoep.toml key and not a Traefik static key: Traefik has no such option, and a key of ours in
// traefik.yml would make the same file fail in Traefik. `service` may come from the environment because
// a stack file can template it (`STOEP_CLUSTER_SERVICE: "{{.Service.Name}}"`) while node.toml is written
// once per host; a key written in the file wins. Every problem is a ConfigError at its key.
import Config

public struct ClusterSettings: Equatable, Sendable {
    public static let defaultCA = "/run/secrets/stoep-cluster-ca"
    public static let defaultTimeout = 2.0
    public static let serviceVariable = "STOEP_CLUSTER_SERVICE"
    static let keys = ["address", "ca", "service", "network", "timeout"]

    public var address: HostPort
    public var caPath = ClusterSettings.defaultCA
    /// nil: not written and not in the environment — refused by `check` (ClusterSettings.problems) unless
    /// the caller can name it otherwise.
    public var service: String?
    /// nil: providers.swarm's network.
    public var network: String?
    /// Seconds a peer has to answer one request (connect, handshake and answer together).
    public var timeout = ClusterSettings.defaultTimeout
    /// Where `[cluster]` was written.
    public var location: SourceLocation

    public init(address: HostPort, location: SourceLocation) {
        self.address = address
        self.location = location
    }

    public var timeoutNanos: UInt64 { UInt64(timeout * 1e9) }

    /// `[cluster]`, or nil when the table is absent. `environment` supplies `service` when not written.
    public static func decode(_ node: TOMLNode?, environment: [String: String]) -> (ClusterSettings?, [ConfigError]) {
        guard let node else { return (nil, []) }
        guard case .table(let table) = node.value else {
            return (nil, [ConfigError(location: node.location, message: "cluster: expected a table ([cluster]), found \(node.value.typeName)")])
        }
        var errors: [ConfigError] = []
        func error(_ at: TOMLNode, _ message: String) { errors.append(ConfigError(location: at.location, message: message)) }
        guard let addressNode = table["address"] else {
            return (nil, [ConfigError(location: table.location, message: "[cluster] is missing 'address'; expected the channel's address on the overlay, like \":8443\"")])
        }
        var address: HostPort?
        if case .string(let text) = addressNode.value, let parsed = HostPort.parse(text), parsed.port != 0 {
            address = parsed
        } else {
            error(addressNode, "[cluster] address: expected \":port\", \"IPv4:port\" or \"[IPv6]:port\" with port 1-65535 (host names are not resolved)")
        }
        var settings = ClusterSettings(address: address ?? HostPort(host: "", port: 0, isIPv6: false), location: table.location)
        for (key, value) in table.entries where key != "address" {
            switch (key, value.value) {
            case ("ca", .string(let path)) where !path.isEmpty && !path.utf8.contains(0):
                settings.caPath = path
            case ("service", .string(let name)) where isSwarmName(name):
                settings.service = name
            case ("network", .string(let name)) where isSwarmName(name):
                settings.network = name
            case ("timeout", .integer(let n)) where n > 0 && n <= 5:
                settings.timeout = Double(n)
            case ("timeout", .float(let x)) where x > 0 && x <= 5:
                settings.timeout = x
            default:
                if keys.contains(key) {
                    let expected = ["ca": "a file path", "service": "a Swarm service name", "network": "a Swarm network name",
                                    "timeout": "seconds, above 0 and at most 5 (the stats socket's client waits 10 s for `show swarm`)"][key] ?? ""
                    error(value, "[cluster] \(key): expected \(expected), found \(describe(value.value))")
                } else {
                    error(value, "[cluster] \(key): unknown key (known: \(keys.joined(separator: ", ")))")
                }
            }
        }
        if settings.service == nil, let name = environment[serviceVariable] {
            if isSwarmName(name) { settings.service = name } else {
                errors.append(ConfigError(location: nil, message: "\(serviceVariable)=\(name): expected a Swarm service name ([cluster] service)"))
            }
        }
        return (address == nil ? nil : settings, errors)
    }

    /// What stops the channel from working with the rest of the configuration: the peers come from the
    /// Swarm provider's listing, so without providers.swarm there is nobody to ask; without a service
    /// name or a network the tasks cannot be told apart.
    public func problems(swarmNetwork: String?, swarmConfigured: Bool) -> [ConfigError] {
        var out: [ConfigError] = []
        if !swarmConfigured {
            out.append(ConfigError(location: location, message: "[cluster]: needs providers.swarm (the peers are the running tasks of stoep's own service, read from the Swarm API)"))
        }
        if service == nil {
            out.append(ConfigError(location: location, message: "[cluster]: needs service = \"STACK_SERVICE\" (stoep's own Swarm service) or \(ClusterSettings.serviceVariable) in the environment"))
        }
        if network == nil && swarmNetwork == nil {
            out.append(ConfigError(location: location, message: "[cluster]: needs network = \"NAME\" (the overlay the stoeps reach each other on) when providers.swarm sets no network"))
        }
        return out
    }

    /// Docker's object names: letters, digits, '_', '.', '-', 1-255 bytes, starting with a letter or digit.
    static func isSwarmName(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= 255, isAlnum(first) else { return false }
        return text.utf8.allSatisfy { isAlnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
    }

    private static func isAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }

    private static func describe(_ value: TOMLValue) -> String {
        switch value {
        case .string(let s): return "\"\(s)\""
        case .integer(let n): return String(n)
        case .float(let x): return String(x)
        default: return value.typeName
        }
    }
}
