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
    /// Swarm (providers.swarm or v2's swarmMode): the network also comes from `traefik.swarm.network`, and a
    /// service with both `traefik.docker.*` and `traefik.swarm.*` labels is skipped (Traefik's
    /// extractSwarmLabels).
    public var swarm = false
    /// The provider's name in the configuration's names (`@docker`, `@swarm`).
    public var providerName = "docker"

    public init() {}

    public init(_ provider: TraefikDockerProvider) {
        exposedByDefault = provider.exposedByDefault
        network = provider.network
        defaultRule = DockerRuleTemplate(provider.defaultRule)
        allowEmptyServices = provider.allowEmptyServices
        constraints = provider.constraints
        useBindPortIP = provider.useBindPortIP
        swarm = provider.swarmMode
        providerName = provider.name
    }

    /// How a problem names what it is about ("docker container web-1", "swarm service web").
    var subject: String { swarm ? "swarm service" : "docker container" }
}

/// A container-level problem: the container is skipped (or one of its routers is), reported with the
/// container's name and the label key concerned.
public struct ContainerProblem: Sendable, Hashable, CustomStringConvertible {
    public var container: String
    /// The label key concerned ("traefik.http.routers.db.rule"), or nil when no single label is.
    public var label: String?
    public var message: String
    /// "docker container", or "swarm service" for the Swarm provider's.
    public var subject: String

    public init(container: String, label: String?, message: String, subject: String = "docker container") {
        self.container = container
        self.label = label
        self.message = message
        self.subject = subject
    }

    public var description: String {
        "\(subject) \(container): " + (label.map { "label \($0): " } ?? "") + message
    }
}
