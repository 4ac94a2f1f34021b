// Where the running configuration comes from, and how to read it again on SIGHUP.
// `--config` names stoep's own TOML; `--dnsmasq-conf` and `--traefik-config` name the peers' files read
// beside it. With none of them, the embedded default is used.
import Cluster
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
    /// `[cluster]`: the channel between the stoeps of a swarm (nil: not in a cluster).
    var cluster: ClusterSettings?
    /// Lines logged once at start: unsupported options and keys.
    var warnings: [String]
}

struct ConfigSource {
    var configPath: String?
    var dnsmasqPath: String?
    /// Traefik's static configuration: a file, its flags or its TRAEFIK_* variables (one of them, chosen
    /// as Traefik does: TraefikStaticSource.choose).
    var traefik: TraefikStaticSource?
    /// `--profile`: a board profile's process-level settings (hardware/NAME.toml).
    var profileName: String? = nil
    /// What the choice of Traefik's source left unread (flags beside a file …), reported with the warnings.
    var sourceWarnings: [String] = []

    init(configPath: String?, dnsmasqPath: String?, traefikPath: String?, profileName: String? = nil) {
        self.init(configPath: configPath, dnsmasqPath: dnsmasqPath, traefik: traefikPath.map { .file($0) }, profileName: profileName)
    }

    init(configPath: String?, dnsmasqPath: String?, traefik: TraefikStaticSource?, profileName: String? = nil, sourceWarnings: [String] = []) {
        self.configPath = configPath
        self.dnsmasqPath = dnsmasqPath
        self.traefik = traefik
        self.profileName = profileName
        self.sourceWarnings = sourceWarnings
    }

    /// The sources `stoep run`/`check` read from their options: stoep's `--config`, `--dnsmasq-conf`,
    /// `--traefik-config`, and Traefik's own flags and TRAEFIK_* variables (Traefik's precedence; Traefik's
    /// default file locations are searched only without `--config`).
    static func resolve(_ parsed: Arguments, environment: [String: String]) -> ConfigSource {
        let (traefik, warnings) = TraefikStaticSource.choose(file: parsed.options["traefik-config"], flags: parsed.traefikFlags,
                                                             environment: environment, searchDefaults: parsed.options["config"] == nil)
        return ConfigSource(configPath: parsed.options["config"], dnsmasqPath: parsed.options["dnsmasq-conf"], traefik: traefik,
                            profileName: parsed.options["profile"], sourceWarnings: warnings)
    }

    var isEmbeddedDefault: Bool { configPath == nil && dnsmasqPath == nil && traefik == nil }

    var description: String {
        if isEmbeddedDefault { return "embedded default" }
        return [configPath, dnsmasqPath.map { "dnsmasq:\($0)" }, traefik?.description].compactMap { $0 }.joined(separator: ", ")
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
        // conf-file, conf-dir and servers-file are expanded here, in [dns] and in dnsmasq.conf alike, so that
        // every line keeps the file and line it was written at (and SIGHUP reads them all again).
        let read = DnsmasqConfIncludes.read(tomlLines: config.dns ?? [], dnsmasqConf: dnsmasqPath, files: DnsmasqConfDisk())
        var lines = read.lines
        errors += read.errors.map { ConfigError(location: SourceLocation(file: $0.file, line: $0.line, column: 0), message: "\($0.option): \($0.message)") }
        errors += Self.takeIdentity(from: &lines, into: &config)
        let (proxy, proxyErrors, proxyWarnings) = ProxySetup.load(config, traefik: traefik)
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
        var warnings: [String] = sourceWarnings + proxyWarnings + read.warnings
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
        autoDNS.dhcpDomains = lines.filter { $0.name == "domain" }.compactMap { $0.value?.split(separator: ",").first.map(String.init) }.filter { $0 != "#" }
        let (cluster, clusterErrors) = ClusterSettings.decode(config.raw["cluster"], environment: ProcessFacts.environment())
        errors += clusterErrors
        if let cluster { errors += cluster.problems(swarmNetwork: proxy.swarm?.network, swarmConfigured: proxy.swarm != nil) }
        if !errors.isEmpty { return .failure(ConfigErrors(errors)) }
        config.source = description
        return .success(LoadedConfig(config: config, dns: dns, profile: profile, proxy: proxy, autoDNS: autoDNS, cluster: cluster, warnings: warnings))
    }

    /// dnsmasq's `user=` and `group=` (dnsmasq.conf or `[dns]`): the same privilege drop as stoep's own
    /// `user`/`group`, taken out of the DNS options. Written in both places they must agree. Unlike
    /// dnsmasq, no line means no drop (dnsmasq started as root drops to its compiled-in "nobody"): stoep
    /// also stands in for Traefik, which never changes user (docs/security.md, "Privileges").
    static func takeIdentity(from lines: inout [DNSOption], into config: inout StoepConfig) -> [ConfigError] {
        // Both are single-valued in dnsmasq 2.90 (ARG_ONE): a second one in the files is refused as dnsmasq
        // refuses it. They leave the DNS options here, so the rule is applied here too.
        let repeats = DnsmasqRepeatedOptions.check(lines.filter { $0.name == "user" || $0.name == "group" })
        var errors = repeats.errors.map { ConfigError(location: SourceLocation(file: $0.file, line: $0.line, column: 0), message: "\($0.option): \($0.message)") }
        var group: DNSOption?
        for option in repeats.accepted {
            guard let value = option.value, !value.isEmpty, !value.utf8.contains(0) else {
                errors.append(ConfigError(location: option.location, message: "\(option.name): expected a \(option.name) name"))
                continue
            }
            let current = option.name == "user" ? config.user : config.group
            if let current, current != value {
                errors.append(ConfigError(location: option.location, message: "\(option.name)=\(value) disagrees with \(option.name) = \"\(current)\" written elsewhere; write it once"))
                continue
            }
            if option.name == "user" { config.user = value } else { group = option }
        }
        if let group, let value = group.value, !value.isEmpty {
            if config.user == nil {
                errors.append(ConfigError(location: group.location, message: "group: only with user= (stoep drops privileges only when a user is named)"))
            } else {
                config.group = value
            }
        }
        lines.removeAll { $0.name == "user" || $0.name == "group" }
        return errors
    }
}
