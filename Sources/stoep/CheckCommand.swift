// `stoep check`: what `stoep run` would say about a configuration, without binding anything. The same
// loading (ConfigSource.load: stoep's TOML, dnsmasq.conf, Traefik's static configuration from a file,
// flags or TRAEFIK_* variables, the file provider's files it names) and the same route building
// (ConfigValidation) as start-up and reload. A static error is printed as it is (start-up refuses it);
// the problems start-up logs are printed as it logs them, "error: …" (a router or middleware not served)
// or "warning: …"; then "SOURCE: ok" when nothing is an error. Exit 1 when anything is.
//   stoep check FILE…     .conf = dnsmasq; a file-provider file when it holds only http/tcp/udp/tls; Traefik's
//                         static configuration when it holds only its keys, or is YAML; else stoep's TOML
//   stoep check [--config F] [--dnsmasq-conf F] [--traefik-config F] [Traefik's flags…]   one set, as run
import Config
import Discovery
import Reactor

enum CheckCommand {
    static func main(_ args: ArraySlice<String>) -> Int32 {
        let parsed: Arguments
        do {
            parsed = try Arguments(args, valued: ["config", "dnsmasq-conf", "traefik-config", "profile"], boolean: [], traefik: true)
        } catch {
            printError("stoep check: \(error)")
            return 2
        }
        let environment = ProcessFacts.environment()
        var sources: [ConfigSource] = []
        var dynamicFiles: [String] = []
        let named = ["config", "dnsmasq-conf", "traefik-config", "profile"].contains { parsed.options[$0] != nil }
        if named || !parsed.traefikFlags.isEmpty || (parsed.positional.isEmpty && !TraefikStaticArguments.environmentEntries(environment).isEmpty) {
            sources.append(ConfigSource.resolve(parsed, environment: environment))
        }
        for file in parsed.positional {
            switch kind(of: file) {
            case .dnsmasq: sources.append(ConfigSource(configPath: nil, dnsmasqPath: file, traefikPath: nil))
            case .traefikStatic: sources.append(ConfigSource(configPath: nil, dnsmasqPath: nil, traefikPath: file))
            case .fileProvider: dynamicFiles.append(file)
            case .stoep: sources.append(ConfigSource(configPath: file, dnsmasqPath: nil, traefikPath: nil))
            }
        }
        guard !sources.isEmpty || !dynamicFiles.isEmpty else {
            printError("stoep check: name at least one file, or give Traefik's flags or TRAEFIK_* variables\n\(usage)")
            return 2
        }
        var failed = 0
        for s in sources {
            switch s.load() {
            case .success(let loaded):
                let lines = ConfigValidation.report(loaded)
                for line in lines { printError(line) }
                failed += summary(s.description, lines)
            case .failure(let e):
                failed += e.errors.count
                for err in e.errors { printError("\(err)") }
            }
        }
        for file in dynamicFiles {
            let lines = ConfigValidation.dynamicFileReport(file)
            for line in lines { printError(line) }
            failed += summary(file, lines)
        }
        if failed > 0 {
            printError("\(failed) error\(failed == 1 ? "" : "s")")
            return 1
        }
        return 0
    }

    /// Prints "SOURCE: ok" (with the warnings' count) when no line is an error; returns the errors' count.
    static func summary(_ source: String, _ lines: [String]) -> Int {
        let errors = lines.filter { $0.hasPrefix("error: ") }.count
        let warnings = lines.count - errors
        if errors == 0 { print("\(source): ok" + (warnings > 0 ? " (\(warnings) warning\(warnings == 1 ? "" : "s"))" : "")) }
        return errors
    }

    enum FileKind { case dnsmasq, traefikStatic, fileProvider, stoep }

    /// What a file named on the command line is: `.conf` dnsmasq; a TOML or YAML file whose top-level keys
    /// are all dynamic ones (http, tcp, udp, tls) a file-provider file; one whose keys are all top-level
    /// keys of Traefik's static configuration a Traefik static file (a traefik.toml too); else YAML is
    /// Traefik's static configuration and anything else stoep's TOML.
    static func kind(of path: String) -> FileKind {
        if path.hasSuffix(".conf") { return .dnsmasq }
        let format = ConfigFormat.detect(path: path)
        guard format != nil else { return .stoep }
        // Only file-provider files are Go templates (Traefik expands no other): one is read expanded, and
        // one whose template fails is still a file-provider file, so check reports the template's error.
        let templated = ConfigLoader.usesTemplates(path: path)
        let (tree, errors) = templated ? ConfigLoader.loadTemplatedTree(path: path, environment: ProcessFacts.environment())
                                       : ConfigLoader.loadTree(path: path)
        if templated && !errors.isEmpty { return .fileProvider }
        let keys = tree.keys.map { $0.lowercased() }
        if errors.isEmpty && !keys.isEmpty {
            if keys.allSatisfy({ ["http", "tcp", "udp", "tls"].contains($0) }) { return .fileProvider }
            if keys.allSatisfy(TraefikStaticArguments.rootKeys.contains) { return .traefikStatic }
        }
        return format == .yaml ? .traefikStatic : .stoep
    }
}
