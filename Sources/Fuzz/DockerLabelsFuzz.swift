// Docker labels, written by whoever deploys a container, built into dynamic configuration as the provider
// builds them: each input line "key=value" is a label of the first container; lines after a line "---" are
// the second's (two containers exercise the merge and its conflicts). Both containers run, with a network
// address and an exposed port, so the builder reaches services and servers.
import Discovery

enum DockerLabelsFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        var containers = [[String: String]()]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            if line == "---" { containers.append([:]); continue }
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            containers[containers.count - 1][String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let docker = containers.prefix(4).enumerated().map { index, labels in
            DockerContainer(id: "c0ffee\(index)", name: "app\(index)", labels: labels, running: true,
                            health: index == 1 ? "healthy" : "", networkMode: "bridge",
                            networks: [("bridge", "172.17.0.\(index + 2)")], ports: [80, 8080])
        }
        var settings = DockerProviderSettings()
        settings.network = "bridge"
        let snapshot = DockerProvider.configuration(for: docker, settings: settings)
        _ = snapshot.problems.map(\.description)
        settings.exposedByDefault = false
        settings.allowEmptyServices = true
        _ = DockerProvider.configuration(for: docker, settings: settings)
    }
}
