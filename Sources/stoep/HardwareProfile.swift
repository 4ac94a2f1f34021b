// `stoep run --profile NAME`: the part of a board profile (hardware/NAME.toml) a process can apply to
// itself — splice pipe size and count, the DNS cache size, the number of workers. The sysctls, CPU governor and journald
// settings of the same file are applied by the image (deploy/image), which runs as root at boot.
import Config
import DNS

struct HardwareProfile {
    var name: String
    var path: String
    var pipeSize: Int?
    var pipeLimit: Int?
    var dnsCacheSize: Int?
    var dnsCacheSizeLine = 0
    /// `workers = N | "auto"`: the processes the board runs (a `workers` in the configuration or `--workers` wins).
    var workers: WorkerCount?

    /// Where `--profile NAME` looks, in order; a value containing "/" is a path.
    static func candidates(_ name: String) -> [String] {
        if name.contains("/") { return [name] }
        return ["/etc/stoep/profiles/\(name).toml", "/usr/share/stoep/hardware/\(name).toml", "hardware/\(name).toml"]
    }

    static func load(_ name: String) -> Result<HardwareProfile, ConfigErrors> {
        for path in candidates(name) {
            guard let text = DNSSetup.readTextFile(path) else { continue }
            let (table, errors) = TOMLParser.parse(text, file: path)
            if !errors.isEmpty { return .failure(ConfigErrors(errors)) }
            var p = HardwareProfile(name: name, path: path)
            var problems: [ConfigError] = []
            if case .table(let stoep)? = table["stoep"]?.value {
                for (key, node) in stoep.entries {
                    if key == "workers" {
                        let text: String? = switch node.value {
                        case .string(let t): t
                        case .integer(let n): String(n)
                        default: nil
                        }
                        if let w = text.flatMap(WorkerCount.init) { p.workers = w } else {
                            problems.append(ConfigError(location: node.location, message: "workers: expected a number from 1 to \(WorkerCount.maximum) or \"auto\""))
                        }
                        continue
                    }
                    guard case .integer(let v) = node.value, v > 0 else {
                        problems.append(ConfigError(location: node.location, message: "\(key): expected a positive integer"))
                        continue
                    }
                    switch key {
                    case "pipe-size": p.pipeSize = Int(v)
                    case "pipe-limit": p.pipeLimit = Int(v)
                    case "dns-cache-size":
                        p.dnsCacheSize = Int(v)
                        p.dnsCacheSizeLine = node.location.line
                    default: problems.append(ConfigError(location: node.location, message: "unknown key \(key) in [stoep]"))
                    }
                }
            }
            return problems.isEmpty ? .success(p) : .failure(ConfigErrors(problems))
        }
        let tried = candidates(name).joined(separator: ", ")
        return .failure(ConfigErrors([ConfigError(location: nil, message: "profile \(name) not found (looked in \(tried))")]))
    }
}
