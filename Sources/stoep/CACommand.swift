// `stoep ca export`: prints the community CA's root certificate (PEM, or DER with --der) to standard
// output, for devices and scripts: `stoep ca export > stoep-ca.pem`. The directory is the localCA
// resolver's `storage` in the configuration given (--config/--traefik-config; --resolver picks one when
// several keep their CA in different places), or --storage, or the default /var/lib/stoep/ca. Reads
// only; the CA is created by `stoep run` when a router first uses the resolver.
import Config
import Proxy
import Reactor

enum CACommand {
    static func main(_ args: ArraySlice<String>) -> Int32 {
        guard let sub = args.first, sub == "export" else {
            printError("stoep ca: expected `stoep ca export [--config FILE] [--traefik-config FILE] [--resolver NAME] [--storage DIR] [--der]`")
            return 2
        }
        let parsed: Arguments
        do {
            parsed = try Arguments(args.dropFirst(), valued: ["config", "traefik-config", "resolver", "storage"], boolean: ["der"])
        } catch {
            printError("stoep ca export: \(error)")
            return 2
        }
        guard parsed.positional.isEmpty else {
            printError("stoep ca export: unexpected \(parsed.positional.joined(separator: " "))")
            return 2
        }
        let directory: String
        switch storage(parsed) {
        case .success(let d): directory = d
        case .failure(let message):
            printError("stoep ca export: \(message.text)")
            return 1
        }
        switch CommunityCAStore.rootCertificate(directory: directory) {
        case .failure(let e):
            printError("stoep ca export: \(e)")
            return 1
        case .success(let root):
            let bytes = parsed.flags.contains("der") ? root.der : root.pem
            if let e = FileDescriptor.standardOutput.writeAll(bytes) {
                printError("stoep ca export: standard output: \(e)")
                return 1
            }
            return 0
        }
    }

    struct Message: Error { let text: String }

    /// The CA's directory from the options and, when given, the configuration's localCA resolvers.
    private static func storage(_ parsed: Arguments) -> Result<String, Message> {
        if let dir = parsed.options["storage"] { return .success(dir) }
        let configPath = parsed.options["config"], traefikPath = parsed.options["traefik-config"]
        guard configPath != nil || traefikPath != nil else {
            if let name = parsed.options["resolver"] {
                return .failure(Message(text: "--resolver \(name) needs the configuration that declares it (--config or --traefik-config)"))
            }
            return .success(TraefikCertificatesResolver.LocalCA().storage)
        }
        let source = ConfigSource(configPath: configPath, dnsmasqPath: nil, traefikPath: traefikPath)
        let loaded: LoadedConfig
        switch source.load() {
        case .success(let l): loaded = l
        case .failure(let e):
            return .failure(Message(text: "the configuration has errors (`stoep check` lists them):\n"
                                    + e.errors.map { "  \($0)" }.joined(separator: "\n")))
        }
        let local = loaded.proxy.certificatesResolvers.compactMapValues(\.localCA).sorted { $0.key < $1.key }
        if let name = parsed.options["resolver"] {
            guard let found = local.first(where: { $0.key == name }) else {
                return .failure(Message(text: "no localCA resolver named \(name) in \(source.description)"
                                        + (local.isEmpty ? "" : " (localCA resolvers: \(local.map(\.key).joined(separator: ", ")))")))
            }
            return .success(found.value.storage)
        }
        guard let first = local.first else {
            return .failure(Message(text: "\(source.description) declares no community CA ([certificatesResolvers.NAME.localCA])"))
        }
        let places = Set(local.map(\.value.storage))
        guard places.count == 1 else {
            return .failure(Message(text: "the localCA resolvers keep their CA in different places ("
                                    + local.map { "\($0.key): \($0.value.storage)" }.joined(separator: ", ") + "): name one with --resolver"))
        }
        return .success(first.value.storage)
    }
}
