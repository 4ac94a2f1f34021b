// What the Swarm provider serves, read from three Engine API answers (GET /networks filtered on scope
// swarm, GET /services, GET /tasks filtered on desired-state running), as Traefik 3.7's swarm provider
// reads them (pkg/provider/docker/pswarm.go listServices, parseService, listTasks, parseTasks): one
// DockerContainer per running task of each service — its service's labels (`deploy.labels`, never the
// containers' own), its address on each swarm-scoped network it is attached to — or, for a service
// labelled `traefik.swarm.lbswarm=true` (or the older `traefik.docker.lbswarm`), one for the service
// itself at its virtual IPs, so that Swarm's IPVS balances. The label rules are then the Docker provider's
// (ContainerConfigBuilder) so both providers build the same configuration from the same labels.
//
// Where Traefik differs from what it says: a `dnsrr` service with lbswarm is logged as "Fallback to Traefik
// load balancing" and then dropped (it has no virtual IP); stoep does what the log says and balances its
// tasks. A task whose attachments have no address (host networking, a swarm-scoped bridge) is dropped by
// Traefik with a debug line; stoep drops it too and lists the service in the problems when no task is left.
import JSON

public enum SwarmServices {
    /// The tasks (and lbswarm services) to serve and the problems found. `exposedByDefault` only decides
    /// whether a service without usable tasks is worth a problem line (a disabled one is not).
    public static func containers(networks: JSONValue, services: JSONValue, tasks: JSONValue,
                                  exposedByDefault: Bool = true) -> ([DockerContainer], [ContainerProblem]) {
        // Network id → name, swarm-scoped only (Traefik: filter scope=swarm; the ingress network is one).
        var networkNames: [String: String] = [:]
        for network in networks.arrayValue ?? [] {
            guard let id = network["Id"]?.stringValue ?? network["ID"]?.stringValue, let name = network["Name"]?.stringValue else { continue }
            if let scope = network["Scope"]?.stringValue, scope != "swarm" { continue }
            networkNames[id] = name
        }
        var tasksByService: [String: [JSONValue]] = [:]
        for task in tasks.arrayValue ?? [] {
            guard let service = task["ServiceID"]?.stringValue else { continue }
            tasksByService[service, default: []].append(task)
        }
        var result: [DockerContainer] = []
        var problems: [ContainerProblem] = []
        for service in services.arrayValue ?? [] {
            guard let id = service["ID"]?.stringValue, let name = service["Spec"]?["Name"]?.stringValue else { continue }
            func report(_ label: String?, _ message: String) {
                problems.append(ContainerProblem(container: name, label: label, message: message, subject: "swarm service"))
            }
            var labels: [String: String] = [:]
            for member in service["Spec"]?["Labels"]?.objectValue ?? [] {
                if let value = member.value.stringValue { labels[member.key] = value }
            }
            let enabled = label(labels, "traefik.enable").flatMap(ContainerConfigBuilder.parseBool) ?? exposedByDefault
            // lbswarm, from traefik.swarm.* or the deprecated traefik.docker.* (both present: the builder
            // skips the service).
            var lbSwarm = false
            var badLabel = false
            for key in ["traefik.swarm.lbswarm", "traefik.docker.lbswarm"] {
                guard let (written, text) = labelEntry(labels, key) else { continue }
                guard let flag = ContainerConfigBuilder.parseBool(text) else {
                    report(written, "expected true or false, found \"\(text)\"; service skipped")
                    badLabel = true
                    break
                }
                lbSwarm = lbSwarm || flag
            }
            if badLabel { continue }
            let mode = service["Spec"]?["EndpointSpec"]?["Mode"]?.stringValue ?? ""
            if lbSwarm && mode != "dnsrr" {
                var container = DockerContainer(id: id, name: name, labels: labels)
                container.service = name
                for vip in service["Endpoint"]?["VirtualIPs"]?.arrayValue ?? [] {
                    guard let networkID = vip["NetworkID"]?.stringValue, let network = networkNames[networkID],
                          let addr = vip["Addr"]?.stringValue.map(stripPrefix), !addr.isEmpty else { continue }
                    if !container.networks.contains(where: { $0.name == network }) { container.networks.append((network, addr)) }
                }
                if container.networks.isEmpty {
                    if enabled { report(nil, "lbswarm: the service has no virtual IP on a swarm-scoped network (Traefik drops it too); service skipped") }
                } else {
                    result.append(container)
                }
                continue
            }
            let global = service["Spec"]?["Mode"]?["Global"] != nil
            var served = 0
            var running = 0
            for task in tasksByService[id] ?? [] {
                guard task["Status"]?["State"]?.stringValue == "running", let taskID = task["ID"]?.stringValue else { continue }
                running += 1
                let slot = task["Slot"]?.int64Value ?? 0
                var container = DockerContainer(id: taskID, name: global ? "\(name).\(taskID)" : "\(name).\(slot)", labels: labels)
                container.service = name
                for attachment in task["NetworksAttachments"]?.arrayValue ?? [] {
                    guard let networkID = attachment["Network"]?["ID"]?.stringValue, let network = networkNames[networkID] else { continue }
                    for address in attachment["Addresses"]?.arrayValue ?? [] {
                        guard let addr = address.stringValue.map(stripPrefix), !addr.isEmpty else { continue }
                        if let i = container.networks.firstIndex(where: { $0.name == network }) {
                            container.networks[i].address = addr  // Traefik keeps the last address of a network
                        } else {
                            container.networks.append((network, addr))
                        }
                    }
                }
                if container.networks.isEmpty { continue }
                served += 1
                result.append(container)
            }
            if enabled && running > 0 && served == 0 {
                report(nil, "no running task has an address on a swarm-scoped network (host networking or a bridge network: a proxy cannot reach it by the API's addresses); service skipped")
            }
        }
        return (result, problems)
    }

    /// "10.0.1.5/24" → "10.0.1.5".
    static func stripPrefix(_ cidr: String) -> String {
        String(cidr.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// A label by its key, case-insensitively (Traefik's label keys are).
    static func label(_ labels: [String: String], _ key: String) -> String? { labelEntry(labels, key)?.value }

    static func labelEntry(_ labels: [String: String], _ key: String) -> (key: String, value: String)? {
        if let v = labels[key] { return (key, v) }
        guard let k = labels.keys.first(where: { $0.lowercased() == key }) else { return nil }
        return (k, labels[k]!)
    }
}
