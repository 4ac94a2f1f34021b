// Where the running configuration comes from, and how to read it again on SIGHUP.
// `--config` names stoep's own TOML; `--dnsmasq-conf` and `--traefik-config` name the peers' files read
// beside it. With none of them, the embedded default is used.
import Config
import DNS

/// Everything validated and built from the files, ready to apply.
struct LoadedConfig {
    var config: StoepConfig
    /// nil: DNS off (no [dns] table and no dnsmasq.conf).
    var dns: DNSSetup?
    var profile: HardwareProfile?
    var proxy = ProxySetup()
    /// `[autoDNS]`: which router hosts are published in the local zone.
    var autoDNS = AutoDNSSettings()
    /// Lines logged once at start: unsupported options and keys.
    var warnings: [String]
}

struct ConfigSource {
    var configPath: String?
    var dnsmasqPath: String?
    var traefikPath: String?
    /// `--profile`: a board profile's process-level settings (hardware/NAME.toml).
    var profileName: String? = nil

    var isEmbeddedDefault: Bool { configPath == nil && dnsmasqPath == nil && traefikPath == nil }

    var description: String {
        if isEmbeddedDefault { return "embedded default" }
        return [configPath, dnsmasqPath.map { "dnsmasq:\($0)" }, traefikPath.map { "traefik:\($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
    }

    /// Reads and validates every file; all errors of all files are returned together.
    func load() -> Result<LoadedConfig, ConfigErrors> {
        var errors: [ConfigError] = []
        var config: StoepConfig
        if let path = configPath {
            switch ConfigLoader.load(path: path) {
            case .success(let c): config = c
            case .failure(let e):
                errors += e.errors
                config = StoepConfig(source: path, raw: TOMLTable(location: SourceLocation(file: path, line: 1, column: 1)))
            }
        } else if isEmbeddedDefault {
            switch ConfigLoader.parse(text: StoepConfig.embeddedDefaultText, file: "embedded default") {
            case .success(let c): config = c
            case .failure(let e): return .failure(e)
            }
        } else {
            config = StoepConfig(source: description, raw: TOMLTable(location: SourceLocation(file: description, line: 1, column: 1)))
        }
        var lines = config.dns ?? []
        if let path = dnsmasqPath {
            if let text = DNSSetup.readTextFile(path) {
                lines += DnsmasqConfReader.parse(text: text, file: path)
            } else {
                errors.append(ConfigError(location: SourceLocation(file: path, line: 0, column: 0), message: "cannot read \(path)"))
            }
        }
        let (proxy, proxyErrors, proxyWarnings) = ProxySetup.load(config, traefikPath: traefikPath)
        errors += proxyErrors
        var profile: HardwareProfile? = nil
        if let name = profileName {
            switch HardwareProfile.load(name) {
            case .success(let p):
                profile = p
                // The profile's cache size is a default: a cache-size line in the configuration wins.
                if let n = p.dnsCacheSize, !lines.contains(where: { $0.name == "cache-size" }) {
                    lines.append(DNSOption(name: "cache-size", value: String(n), file: p.path, line: p.dnsCacheSizeLine))
                }
            case .failure(let e): errors += e.errors
            }
        }
        var dns: DNSSetup? = nil
        var warnings: [String] = proxyWarnings
        if config.dns != nil || dnsmasqPath != nil {
            switch DNSSetup.make(lines) {
            case .success(let s):
                dns = s
                warnings += s.warnings
            case .failure(let e):
                errors += e.errors.map { ConfigError(location: SourceLocation(file: $0.file, line: $0.line, column: 0), message: "\($0.option): \($0.message)") }
            }
        }
        var (autoDNS, autoErrors) = AutoDNSSettings.decode(config.raw["autoDNS"])
        errors += autoErrors
        // dnsmasq's `domain=` (the DHCP domain, possibly with a range after a comma) is a local domain too.
        autoDNS.dhcpDomains = lines.filter { $0.name == "domain" }.compactMap { $0.value?.split(separator: ",").first.map(String.init) }
        if !errors.isEmpty { return .failure(ConfigErrors(errors)) }
        config.source = description
        return .success(LoadedConfig(config: config, dns: dns, profile: profile, proxy: proxy, autoDNS: autoDNS, warnings: warnings))
    }
}
