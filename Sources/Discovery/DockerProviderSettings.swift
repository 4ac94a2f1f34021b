// The Docker provider's options (Traefik's providers.docker) as the label builder uses them.
import Config

public struct DockerProviderSettings: Sendable, Hashable {
    /// Containers without `traefik.enable` are served (Traefik default true).
    public var exposedByDefault = true
    /// Network to reach containers on (`traefik.docker.network` overrides it per container).
    public var network: String?
    public var defaultRule = DockerRuleTemplate(TraefikDockerProvider.defaultRuleTemplate)
    /// Keep unhealthy / starting containers, with no servers (503), instead of dropping them.
    public var allowEmptyServices = false
    /// Traefik's label expression (`Label`, `LabelRegex`, &&, ||, !); "" keeps every container. Validated
    /// when the static configuration is read.
    public var constraints = ""
    /// Reach a container at its published host IP and port when it has one (Traefik's useBindPortIP).
    public var useBindPortIP = false
    /// Where a host-networked container is reached (Traefik: host.docker.internal, else 127.0.0.1).
    public var hostAddress = "127.0.0.1"

    public init() {}

    public init(_ provider: TraefikDockerProvider) {
        exposedByDefault = provider.exposedByDefault
        network = provider.network
        defaultRule = DockerRuleTemplate(provider.defaultRule)
        allowEmptyServices = provider.allowEmptyServices
        constraints = provider.constraints
        useBindPortIP = provider.useBindPortIP
    }
}

/// A container-level problem: the container is skipped (or one of its routers is), reported with the
/// container's name and the label key concerned.
public struct ContainerProblem: Sendable, Hashable, CustomStringConvertible {
    public var container: String
    /// The label key concerned ("traefik.http.routers.db.rule"), or nil when no single label is.
    public var label: String?
    public var message: String

    public init(container: String, label: String?, message: String) {
        self.container = container
        self.label = label
        self.message = message
    }

    public var description: String {
        "docker container \(container): " + (label.map { "label \($0): " } ?? "") + message
    }
}
