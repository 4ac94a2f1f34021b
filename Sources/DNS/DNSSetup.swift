// From option lines (a dnsmasq.conf, or the [dns] table of stoep's TOML) to what the service runs:
// validated settings and the local zone, with every error located at its line and every unsupported
// option listed once, never silently dropped. Hosts files are read here, at load time, never on the loop.
import Config
import Glibc
import Reactor

public struct DNSSetupErrors: Error {
    public let errors: [DNSOptionError]
}

public struct DNSSetup {
    public let settings: DNSSettings
    public let zone: LocalZone
    /// Nameservers of the resolv-file, read at load time (empty with `no-resolv`).
    public let resolvServers: [IPAddress]
    /// Lines to log once at start: unsupported options, hosts-file lines that were skipped.
    public let warnings: [String]

    /// Builds the setup, or returns every error found.
    public static func make(_ lines: [DNSOption]) -> Result<DNSSetup, DNSSetupErrors> {
        let options = DNSOptions.parse(lines)
        var errors = options.errors
        var warnings = options.unsupported.map { "\($0.fileAndLine): \($0.name): not supported by stoep, ignored" }
        var hosts: [HostsFile] = []
        let files = (options.settings.noHosts ? [] : ["/etc/hosts"]) + options.settings.additionalHostsFiles
        for file in files {
            guard let text = readTextFile(file) else {
                if file == "/etc/hosts" { continue }
                errors.append(DNSOptionError(file: file, line: 0, option: "addn-hosts", message: "cannot read \(file)"))
                continue
            }
            let parsed = HostsFile(text: text, file: file)
            warnings += parsed.problems.map { "\($0): skipped" }
            hosts.append(parsed)
        }
        var resolv: [IPAddress] = []
        if !options.settings.noResolv {
            if let text = readTextFile(options.settings.resolvFile) {
                resolv = DNSUpstreams.parseResolvConf(text)
            } else {
                warnings.append("\(options.settings.resolvFile): cannot read, no upstream servers from it")
            }
        }
        guard errors.isEmpty else { return .failure(DNSSetupErrors(errors: errors)) }
        do {
            let zone = try LocalZone(settings: options.settings, hostsFiles: hosts)
            return .success(DNSSetup(settings: options.settings, zone: zone, resolvServers: resolv, warnings: warnings))
        } catch {
            let parts = error.location.split(separator: ":")
            let line = parts.count > 1 ? Int(parts[parts.count - 1]) ?? 0 : 0
            let file = parts.count > 1 ? parts.dropLast().joined(separator: ":") : error.location
            return .failure(DNSSetupErrors(errors: [DNSOptionError(file: file, line: line, option: "zone", message: error.message)]))
        }
    }

    /// Reads a whole (small) configuration file; nil when it cannot be read.
    public static func readTextFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > 64 << 20 { return nil }  // not a configuration file
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension DNSService {
    /// Applies `setup` to the running service: the same listen set keeps its sockets and swaps the zone
    /// at once; a different one is rebound. nil `setup` (no DNS options, or port=0) turns DNS off.
    public static func reconfigure(_ current: DNSService?, setup: DNSSetup?, loop: EventLoop) throws -> DNSService? {
        guard let setup, setup.settings.port != 0 else {
            current?.stop()
            return nil
        }
        if let current, current.settings.port == setup.settings.port,
           current.settings.listenAddresses == setup.settings.listenAddresses {
            current.replace(setup)
            return current
        }
        current?.stop()
        return try DNSService(setup: setup, loop: loop)
    }

    /// Takes new settings and zone on the same sockets; the cache starts empty (flushed on reload, as
    /// dnsmasq's SIGHUP does) and queries in flight are dropped.
    func replace(_ setup: DNSSetup) {
        settings = setup.settings
        let sink = DNSQueryLogSink(facility: setup.settings.logFacility, fallback: loop.log)
        querySink = sink
        responder = DNSResponder(zone: setup.zone, settings: setup.settings) { line in sink.line(line) }
        forwarder.stop()
        forwarder = DNSForwarder(settings: setup.settings, resolvServers: setup.resolvServers, loop: loop,
                                 log: setup.settings.logQueries == .off ? nil : { line in sink.line(line) })
    }
}
