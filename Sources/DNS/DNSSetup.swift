// From option lines (a dnsmasq.conf, or the [dns] table of stoep's TOML) to what the service runs:
// validated settings and the local zone, with every error located at its line and every unsupported
// option listed once, never silently dropped. Hosts files are read here, at load time, never on the loop.
import Config
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
        // Block and allow lists are read later, on the loop, in slices (BlocklistLoader); here only whether
        // they can be opened, so that a wrong path stops `stoep check` and start-up with its key.
        for (key, paths) in [("blocklists", options.settings.blocklists), ("allowlists", options.settings.allowlists)] {
            for path in paths {
                do {
                    try FileDescriptor.openForReading(path).close()
                } catch {
                    let at = lines.first { $0.name == key && $0.value == path }
                    errors.append(DNSOptionError(file: at?.location.file ?? path, line: at?.location.line ?? 0, option: key,
                                                 message: "cannot read \(path): \(error)"))
                }
            }
        }
        // server-tls: the trust is loaded here too, so a CA file that cannot be read or parsed stops
        // `stoep check` and start-up with its key (the forwarder loads it again for itself).
        if !options.settings.serverTLS.isEmpty {
            do throws(TLSError) {
                _ = try DNSTLSChannel.trust(caFiles: options.settings.serverTLSCA)
            } catch {
                let at = lines.first { $0.name == "server-tls-ca" } ?? lines.first { $0.name == "server-tls" }
                errors.append(DNSOptionError(file: at?.location.file ?? "", line: at?.location.line ?? 0,
                                             option: at?.name ?? "server-tls-ca", message: error.description))
            }
        }
        var resolv: [IPAddress] = []
        // server-tls: the resolv-file is not read — its nameservers would be a plaintext path.
        if !options.settings.noResolv && options.settings.serverTLS.isEmpty {
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

    /// Reads a whole (small) configuration file; nil when it cannot be read (or is over 64 MiB: not a
    /// configuration file).
    public static func readTextFile(_ path: String) -> String? {
        guard case .success(let bytes) = readWholeFile(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension DNSService {
    /// Applies `setup` to the running service: the same listen set keeps its sockets and swaps the zone
    /// at once; a different one is rebound. nil `setup` (no DNS options, or port=0) turns DNS off.
    public static func reconfigure(_ current: DNSService?, setup: DNSSetup?, loop: EventLoop,
                                   watcher: @autoclosure () -> FileWatcher? = nil) throws -> DNSService? {
        guard let setup, setup.settings.port != 0 else {
            current?.stop()
            return nil
        }
        if let current, current.settings.port == setup.settings.port,
           current.settings.listenAddresses == setup.settings.listenAddresses,
           current.settings.effectiveLocalService == setup.settings.effectiveLocalService {
            current.replace(setup, watcher: setup.settings.blocklists.isEmpty ? nil : watcher())
            return current
        }
        current?.stop()
        return try DNSService(setup: setup, loop: loop, watcher: setup.settings.blocklists.isEmpty ? nil : watcher())
    }

    /// Takes new settings and zone on the same sockets; the cache starts empty (flushed on reload, as
    /// dnsmasq's SIGHUP does). Queries in flight finish on the forwarder that sent them (its upstream
    /// sockets stay open until each is answered or times out), as dnsmasq keeps its in-flight records
    /// across SIGHUP: a reload storm loses no answer (test_faults.py::test_reload_storm_*).
    func replace(_ setup: DNSSetup, watcher: FileWatcher?) {
        settings = setup.settings
        self.watcher = watcher
        let sink = DNSQueryLogSink(facility: setup.settings.logFacility, fallback: loop.log)
        querySink = sink
        responder = DNSResponder(zone: setup.zone, settings: setup.settings) { line in sink.line(line) }
        retire(forwarder)
        forwarder = DNSForwarder(settings: setup.settings, resolvServers: setup.resolvServers, loop: loop,
                                 log: setup.settings.logQueries == .off ? nil : { line in sink.line(line) })
        startBlocklists()  // re-read on reload, as dnsmasq re-reads its hosts files on SIGHUP
        applyClientPolicy()
    }

    /// Keeps `old` until its last query in flight completes; the removal runs on the next loop turn, never
    /// inside the forwarder's own call.
    private func retire(_ old: DNSForwarder) {
        guard old.pending > 0 else {
            old.stop()
            return
        }
        retiring.append(old)
        old.onIdle = { [weak self, weak old] in
            guard let self else { return }
            let t = Timer { [weak self] _ in
                self?.retiring.removeAll { f in
                    guard f === old || f.pending == 0 else { return false }
                    f.stop()  // its TLS connections close with it
                    return true
                }
            }
            self.loop.schedule(t, after: 0)
        }
    }
}
