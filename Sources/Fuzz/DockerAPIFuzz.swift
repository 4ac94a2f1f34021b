// What the Docker (or podman) daemon answers: a container list, an inspect document and the /events stream;
// and in Swarm mode the /networks, /services and /tasks lists. The input is read as each: the list's ids,
// the inspect document's container (and its labels built into configuration), newline-separated event
// lines, and the same document as all three Swarm lists (tasks and services built into configuration).
import Discovery
import JSON

enum DockerAPIFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        if let json = try? JSONParser.parse(bytes) {
            for id in DockerWatcher.listedContainerIDs(json) { precondition(DockerWatcher.isContainerID(id)) }
            if let container = DockerContainer(inspect: json) {
                _ = DockerProvider.configuration(for: [container], settings: DockerProviderSettings())
            }
            let (tasks, _) = SwarmServices.containers(networks: json, services: json, tasks: json)
            var swarm = DockerProviderSettings()
            swarm.swarm = true
            swarm.providerName = "swarm"
            _ = DockerProvider.configuration(for: tasks, settings: swarm)
        }
        for line in bytes.split(separator: 10) {
            if let id = DockerWatcher.eventContainerID(Array(line)) { precondition(DockerWatcher.isContainerID(id)) }
        }
    }
}
