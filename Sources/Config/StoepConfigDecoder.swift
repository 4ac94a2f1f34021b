// Turns a parsed TOML document into StoepConfig, checking every section and collecting every problem
// (unknown keys included, as typo protection) instead of stopping at the first.

enum StoepConfigDecoder {
    static let topLevelKeys = ["backend", "user", "group", "groups", "stats", "forward", "dns", "entryPoints", "http", "tcp", "udp", "providers", "certificatesResolvers", "autoDNS", "cluster", "workers", "worker-cpu-affinity"]
    static let statsKeys = ["socket"]
    static let forwardKeys = ["name", "listen", "upstream", "connect-timeout", "idle-timeout"]
    /// sun_path holds 108 bytes including the terminating NUL.
    static let maximumSocketPathBytes = 107

    static func decode(_ root: TOMLTable, source: String, diagnostics: inout ConfigDiagnostics) -> StoepConfig {
        var config = StoepConfig(source: source, raw: root)
        let top = SectionReader(table: root, context: "top level")
        top.rejectUnknownKeys(allowed: topLevelKeys, diagnostics: &diagnostics)

        if let (text, location) = top.string("backend", diagnostics: &diagnostics) {
            if let backend = StoepConfig.Backend(rawValue: text) {
                config.backend = backend
            } else {
                let names = StoepConfig.Backend.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                diagnostics.add(location, "backend: expected one of \(names), found \"\(text)\"")
            }
        }
        if let (text, location) = top.string("user", diagnostics: &diagnostics) {
            if text.isEmpty || text.utf8.contains(0) {
                diagnostics.add(location, "user: expected a user name, found an empty string")
            } else {
                config.user = text
            }
        }
        decodeIdentity(top, into: &config, diagnostics: &diagnostics)
        decodeWorkers(top, into: &config, diagnostics: &diagnostics)
        if let stats = table("stats", in: root, written: "[stats]", diagnostics: &diagnostics) {
            config.stats = decodeStats(stats, diagnostics: &diagnostics)
        }
        config.forwards = decodeForwards(root["forward"], diagnostics: &diagnostics)
        if let dns = table("dns", in: root, written: "[dns]", diagnostics: &diagnostics) {
            config.dns = DNSOption.options(from: dns, diagnostics: &diagnostics)
        }
        if let entryPoints = table("entryPoints", in: root, written: "[entryPoints.NAME]", diagnostics: &diagnostics) {
            config.entryPoints = decodeEntryPoints(entryPoints, diagnostics: &diagnostics)
        }
        config.http = table("http", in: root, written: "[http]", diagnostics: &diagnostics)
        config.tcp = table("tcp", in: root, written: "[tcp]", diagnostics: &diagnostics)
        config.udp = table("udp", in: root, written: "[udp]", diagnostics: &diagnostics)
        config.providers = table("providers", in: root, written: "[providers]", diagnostics: &diagnostics)
        config.certificatesResolvers = table("certificatesResolvers", in: root, written: "[certificatesResolvers]", diagnostics: &diagnostics)
        checkListenerOverlaps(config, diagnostics: &diagnostics)
        return config
    }

    /// `workers = N | "auto"` and `worker-cpu-affinity = true` (docs/architecture.md, "Workers").
    private static func decodeWorkers(_ top: SectionReader, into config: inout StoepConfig, diagnostics: inout ConfigDiagnostics) {
        if let node = top.table["workers"] {
            switch node.value {
            case .string(let text):
                if let w = WorkerCount(text) { config.workers = w } else {
                    diagnostics.add(node.location, "workers: expected a number from 1 to \(WorkerCount.maximum) or \"auto\", found \"\(text)\"")
                }
            case .integer(let n):
                if let w = WorkerCount(String(n)) { config.workers = w } else {
                    diagnostics.add(node.location, "workers: expected a number from 1 to \(WorkerCount.maximum) or \"auto\", found \(n)")
                }
            default:
                diagnostics.add(node.location, "workers: expected a number or \"auto\", found \(article(node.value))")
            }
        }
        if let pin = top.bool("worker-cpu-affinity", diagnostics: &diagnostics) { config.workerCPUAffinity = pin }
    }

    /// `group` and `groups`: only beside `user` (without a drop there is nothing to keep). Whether the
    /// names exist is checked at start-up, on the machine that runs stoep.
    private static func decodeIdentity(_ top: SectionReader, into config: inout StoepConfig, diagnostics: inout ConfigDiagnostics) {
        if let (text, location) = top.string("group", diagnostics: &diagnostics) {
            if text.isEmpty || text.utf8.contains(0) {
                diagnostics.add(location, "group: expected a group name, found an empty string")
            } else if config.user == nil {
                diagnostics.add(location, "group: only with user = \"name\" (the group stoep switches to after binding)")
            } else {
                config.group = text
            }
        }
        guard let node = top.table["groups"] else { return }
        guard case .array(let elements) = node.value else {
            diagnostics.add(node.location, "groups: expected an array of group names like [\"docker\"], found \(article(node.value))")
            return
        }
        if config.user == nil {
            diagnostics.add(node.location, "groups: only with user = \"name\" (the groups kept after switching to that user)")
            return
        }
        for element in elements {
            guard case .string(let name) = element.value, !name.isEmpty, !name.utf8.contains(0) else {
                diagnostics.add(element.location, "groups: expected a group name (a string), found \(article(element.value))")
                continue
            }
            config.groups.append(name)
        }
    }

    /// The table under `key`, or nil (with an error when something other than a table is there).
    private static func table(_ key: String, in root: TOMLTable, written: String, diagnostics: inout ConfigDiagnostics) -> TOMLTable? {
        guard let node = root[key] else { return nil }
        guard case .table(let table) = node.value else {
            diagnostics.add(node.location, "\(key): expected a table (\(written)), found \(article(node.value))")
            return nil
        }
        return table
    }

    private static func decodeStats(_ table: TOMLTable, diagnostics: inout ConfigDiagnostics) -> StatsConfig {
        let reader = SectionReader(table: table, context: "[stats]")
        // `prometheus` was decoded and never read by earlier versions: refused with the reason rather
        // than kept as a switch that does nothing.
        if let node = table["prometheus"] {
            diagnostics.add(node.location, "[stats] prometheus: not an option (it never did anything); Prometheus metrics are "
                            + "served by Traefik's metrics.prometheus on an HTTP entry point (docs/proxy.md, Observability)")
        }
        reader.rejectUnknownKeys(allowed: statsKeys, reportedElsewhere: ["prometheus"], diagnostics: &diagnostics)
        var stats = StatsConfig(location: table.location)
        if let (path, location) = reader.string("socket", diagnostics: &diagnostics) {
            if path.isEmpty || path.utf8.count > maximumSocketPathBytes || path.utf8.contains(0) {
                diagnostics.add(location, "[stats] socket: expected a unix socket path of 1-\(maximumSocketPathBytes) bytes")
            } else {
                stats.socket = path
            }
        }
        return stats
    }

    private static func decodeForwards(_ node: TOMLNode?, diagnostics: inout ConfigDiagnostics) -> [ForwardConfig] {
        guard let node else { return [] }
        guard case .array(let elements) = node.value else {
            diagnostics.add(node.location, "forward: expected [[forward]] tables (an array of tables), found \(article(node.value))")
            return []
        }
        var forwards: [ForwardConfig] = []
        var namesSeen: [String: SourceLocation] = [:]
        for (index, element) in elements.enumerated() {
            guard case .table(let table) = element.value else {
                diagnostics.add(element.location, "forward: expected each element to be a table, found \(article(element.value))")
                continue
            }
            let reader = SectionReader(table: table, context: "[[forward]] #\(index + 1)")
            reader.rejectUnknownKeys(allowed: forwardKeys, diagnostics: &diagnostics)
            var name = "forward-\(index + 1)"
            if let (text, location) = reader.string("name", diagnostics: &diagnostics) {
                if text.isEmpty {
                    diagnostics.add(location, "[[forward]] #\(index + 1) name: expected a non-empty name")
                } else {
                    name = text
                }
            }
            if let earlier = namesSeen[name] {
                diagnostics.add(table["name"]?.location ?? table.location,
                                "[[forward]] name '\(name)' is already used at line \(earlier.line); expected unique names")
            }
            namesSeen[name] = namesSeen[name] ?? table.location
            let listen = reader.address("listen", required: true, diagnostics: &diagnostics)
            let upstream = reader.address("upstream", required: true, diagnostics: &diagnostics)
            let connectTimeout = reader.seconds("connect-timeout", diagnostics: &diagnostics)
            let idleTimeout = reader.seconds("idle-timeout", diagnostics: &diagnostics)
            guard let listen, let upstream else { continue }
            forwards.append(ForwardConfig(
                name: name, listen: listen, upstream: upstream,
                connectTimeout: connectTimeout ?? ForwardConfig.defaultConnectTimeout,
                idleTimeout: idleTimeout ?? ForwardConfig.defaultIdleTimeout,
                location: table.location))
        }
        return forwards
    }

    private static func decodeEntryPoints(_ table: TOMLTable, diagnostics: inout ConfigDiagnostics) -> [EntryPointConfig] {
        var entryPoints: [EntryPointConfig] = []
        for (name, node) in table.entries {
            guard case .table(let entry) = node.value else {
                diagnostics.add(node.location, "entryPoints.\(name): expected a table ([entryPoints.\(name)]) with an address, found \(article(node.value))")
                continue
            }
            guard let addressNode = entry["address"] else {
                diagnostics.missing(entry.location, "[entryPoints.\(name)] is missing 'address'; expected an address like \":80\" or \"127.0.0.1:8080\"")
                continue
            }
            guard case .string(let text) = addressNode.value, let (address, transport) = EntryPointConfig.parseAddress(text) else {
                diagnostics.add(addressNode.location, "[entryPoints.\(name)] address: expected \":port\", \"IPv4:port\" or \"[IPv6]:port\" with port 1-65535, optionally followed by /tcp or /udp (host names are not resolved)")
                continue
            }
            entryPoints.append(EntryPointConfig(name: name, address: address, transport: transport, location: entry.location, raw: entry))
        }
        return entryPoints
    }

    /// Two TCP listeners on the same port would fail at bind time; report it here, with both lines.
    private static func checkListenerOverlaps(_ config: StoepConfig, diagnostics: inout ConfigDiagnostics) {
        var listeners: [(what: String, address: HostPort, location: SourceLocation)] = []
        listeners += config.entryPoints.filter { $0.transport == .tcp }.map { ("entry point '\($0.name)'", $0.address, $0.location) }
        listeners += config.forwards.map { ("forward '\($0.name)'", $0.listen, $0.location) }
        var earlierOnPort: [UInt16: [Int]] = [:]
        for (index, listener) in listeners.enumerated() {
            defer { earlierOnPort[listener.address.port, default: []].append(index) }
            let candidates = earlierOnPort[listener.address.port] ?? []
            guard let match = candidates.first(where: { listeners[$0].address.overlaps(listener.address) }) else { continue }
            let earlier = listeners[match]
            diagnostics.add(listener.location, "\(listener.what) listens on \(listener.address), which overlaps \(earlier.what) on \(earlier.address) (line \(earlier.location.line)); expected a different port or address")
        }
    }
}
