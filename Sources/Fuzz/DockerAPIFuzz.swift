// What the Docker (or podman) daemon answers: a container list, an inspect document and the /events stream.
// The input is read as each of the three: the list's ids, the inspect document's container (and its labels
// built into configuration), and newline-separated event lines.
import Discovery
import JSON

enum DockerAPIFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        if let json = try? JSONParser.parse(bytes) {
            for id in DockerWatcher.listedContainerIDs(json) { precondition(DockerWatcher.isContainerID(id)) }
            if let container = DockerContainer(inspect: json) {
                _ = DockerProvider.configuration(for: [container], settings: DockerProviderSettings())
            }
        }
        for line in bytes.split(separator: 10) {
            if let id = DockerWatcher.eventContainerID(Array(line)) { precondition(DockerWatcher.isContainerID(id)) }
        }
    }
}
