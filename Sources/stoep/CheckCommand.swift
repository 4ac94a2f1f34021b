// `stoep check FILE…`: validate configuration files the way `stoep run` would, print every error
// (file:line: what was expected) and exit non-zero when there is any.
import Config

enum CheckCommand {
    static func main(_ args: ArraySlice<String>) -> Int32 {
        let parsed: Arguments
        do {
            parsed = try Arguments(args, valued: ["config", "dnsmasq-conf", "traefik-config"], boolean: [])
        } catch {
            printError("stoep check: \(error)")
            return 2
        }
        var sources: [ConfigSource] = []
        if parsed.options["config"] != nil || parsed.options["dnsmasq-conf"] != nil || parsed.options["traefik-config"] != nil {
            sources.append(ConfigSource(configPath: parsed.options["config"], dnsmasqPath: parsed.options["dnsmasq-conf"],
                                        traefikPath: parsed.options["traefik-config"]))
        }
        for file in parsed.positional {
            if file.hasSuffix(".conf") {
                sources.append(ConfigSource(configPath: nil, dnsmasqPath: file, traefikPath: nil))
            } else if file.hasSuffix(".yml") || file.hasSuffix(".yaml") {
                // Traefik's static configuration (use --traefik-config for a .toml one).
                sources.append(ConfigSource(configPath: nil, dnsmasqPath: nil, traefikPath: file))
            } else {
                sources.append(ConfigSource(configPath: file, dnsmasqPath: nil, traefikPath: nil))
            }
        }
        guard !sources.isEmpty else {
            printError("stoep check: name at least one file\n\(usage)")
            return 2
        }
        var failed = 0
        for s in sources {
            switch s.load() {
            case .success: print("\(s.description): ok")
            case .failure(let e):
                failed += e.errors.count
                for err in e.errors { printError("\(err)") }
            }
        }
        if failed > 0 {
            printError("\(failed) error\(failed == 1 ? "" : "s")")
            return 1
        }
        return 0
    }
}
