// What the Docker provider needs to know about one container, read from `GET /containers/{id}/json`
// (Docker Engine API ≥ 1.24; podman's compatible API gives the same fields). Traefik reads the same
// fields (pkg/provider/docker/shared.go parseContainer).
import JSON

public struct DockerContainer: Sendable, Equatable {
    public var id: String
    /// Without Docker's leading "/".
    public var name: String
    public var labels: [String: String]
    public var running: Bool
    /// State.Health.Status: "" (no health check), "starting", "healthy", "unhealthy".
    public var health: String
    /// HostConfig.NetworkMode: "host", "bridge", "container:ID", a network name, or "".
    public var networkMode: String
    /// NetworkSettings.Networks: network name → IPv4 address (IPv6 when it has no IPv4), in Docker's order.
    public var networks: [(name: String, address: String)]
    /// NetworkSettings.Ports keys ("80/tcp"), as port numbers.
    public var ports: [Int]
    /// NetworkSettings.Ports' first host binding of each tcp/udp port that is published (for useBindPortIP).
    public var bindings: [PortBinding] = []
    /// A Swarm task's (or lbswarm service's) service name, which names its routers and services (Traefik's
    /// dockerData.ServiceName); nil for a plain container, named after itself.
    public var service: String?

    public struct PortBinding: Sendable, Equatable {
        public var port: Int
        public var hostIP: String
        public var hostPort: String
    }

    public init(id: String, name: String, labels: [String: String] = [:], running: Bool = true, health: String = "",
                networkMode: String = "", networks: [(name: String, address: String)] = [], ports: [Int] = []) {
        self.id = id
        self.name = name
        self.labels = labels
        self.running = running
        self.health = health
        self.networkMode = networkMode
        self.networks = networks
        self.ports = ports
    }

    public static func == (a: DockerContainer, b: DockerContainer) -> Bool {
        a.id == b.id && a.name == b.name && a.labels == b.labels && a.running == b.running && a.health == b.health
            && a.networkMode == b.networkMode && a.ports == b.ports && a.bindings == b.bindings && a.service == b.service
            && a.networks.map(\.name) == b.networks.map(\.name) && a.networks.map(\.address) == b.networks.map(\.address)
    }

    /// Decodes an inspect document; nil when it has no Id (not a container).
    public init?(inspect json: JSONValue) {
        guard let id = json["Id"]?.stringValue, !id.isEmpty else { return nil }
        self.id = id
        let rawName = json["Name"]?.stringValue ?? id
        name = rawName.hasPrefix("/") ? String(rawName.dropFirst()) : rawName
        labels = [:]
        for member in json["Config"]?["Labels"]?.objectValue ?? [] {
            if let value = member.value.stringValue { labels[member.key] = value }
        }
        running = json["State"]?["Running"]?.boolValue ?? false
        health = json["State"]?["Health"]?["Status"]?.stringValue ?? ""
        networkMode = json["HostConfig"]?["NetworkMode"]?.stringValue ?? ""
        networks = []
        for member in json["NetworkSettings"]?["Networks"]?.objectValue ?? [] {
            let v4 = member.value["IPAddress"]?.stringValue ?? ""
            let v6 = member.value["GlobalIPv6Address"]?.stringValue ?? ""
            networks.append((member.key, v4.isEmpty ? v6 : v4))
        }
        ports = (json["NetworkSettings"]?["Ports"]?.objectValue ?? []).compactMap { member in
            Int(member.key.split(separator: "/").first ?? "")
        }.sorted()
        // Traefik's getPortBinding: the first binding of a tcp or udp port (in the API's order).
        for member in json["NetworkSettings"]?["Ports"]?.objectValue ?? [] {
            let parts = member.key.split(separator: "/")
            guard let port = Int(parts.first ?? ""), parts.count < 2 || parts[1] == "tcp" || parts[1] == "udp",
                  !bindings.contains(where: { $0.port == port }), let first = member.value.arrayValue?.first else { continue }
            bindings.append(PortBinding(port: port, hostIP: first["HostIp"]?.stringValue ?? "", hostPort: first["HostPort"]?.stringValue ?? ""))
        }
    }

    /// Host networking: the container shares the host's addresses.
    public var usesHostNetwork: Bool { networkMode == "host" }
}
