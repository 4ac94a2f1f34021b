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
    /// /etc/hosts and the addn-hosts files as read at load; a hostsdir change rebuilds the zone from these
    /// and the directories' files read again.
    public let hostsFiles: [HostsFile]
    /// Nameservers of the resolv-file, read at load time (empty with `no-resolv`).
    public let resolvServers: [IPAddress]
    /// Lines to log once at start: unsupported options, hosts-file lines that were skipped.
    public let warnings: [String]

    /// Builds the setup, or returns every error found.
    public static func make(_ lines: [DNSOption]) -> Result<DNSSetup, DNSSetupErrors> {
        let options = DNSOptions.parse(lines)
        var errors = options.errors
        var warnings = options.warnings + options.unsupported.map { "\($0.fileAndLine): \($0.name): not supported by stoep, ignored" }
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
        var settings = options.settings
        let directoryFiles = readHostsDirectories(settings.hostsDirectories)
        errors += directoryFiles.errors.map { failure in
            let at = lines.last { $0.name == "hostsdir" && $0.value == failure.directory }
            return DNSOptionError(file: at?.location.file ?? failure.directory, line: at?.location.line ?? 0, option: "hostsdir",
                                  message: failure.message)
        }
        warnings += directoryFiles.files.flatMap { $0.problems.map { "\($0): skipped" } }
        // server-tls: the trust is loaded here too, so a CA file that cannot be read or parsed stops
        // `stoep check` and start-up with its key (the forwarder loads it again for itself).
        if !settings.serverTLS.isEmpty {
            do throws(TLSError) {
                _ = try DNSTLSChannel.trust(caFiles: settings.serverTLSCA)
            } catch {
                let at = lines.first { $0.name == "server-tls-ca" } ?? lines.first { $0.name == "server-tls" }
                errors.append(DNSOptionError(file: at?.location.file ?? "", line: at?.location.line ?? 0,
                                             option: at?.name ?? "server-tls-ca", message: error.description))
            }
        }
        var resolv: [IPAddress] = []
        var resolvText: String? = nil
        if !settings.noResolv {
            resolvText = readTextFile(settings.resolvFile)
            // server-tls: the resolv-file's nameservers are not used — they would be a plaintext path (its
            // search domain still serves `domain=#`).
            if settings.serverTLS.isEmpty {
                if let text = resolvText {
                    resolv = DNSUpstreams.parseResolvConf(text)
                } else {
                    warnings.append("\(settings.resolvFile): cannot read, no upstream servers from it")
                }
            }
        }
        if settings.hostsDomains.suffixFromResolvFile {
            // option.c: `domain=#` takes the first `search` domain of the one resolv-file, else dnsmasq stops.
            let at = lines.last { $0.name == "domain" && $0.value.map(DnsmasqConfReader.trim) == "#" }
            let fail = { (message: String) in
                errors.append(DNSOptionError(file: at?.location.file ?? "", line: at?.location.line ?? 0, option: "domain", message: message))
            }
            if settings.noResolv {
                fail("domain=# reads the resolv-file's search domain, and no-resolv reads no resolv-file")
            } else if let text = resolvText {
                if let domain = DNSUpstreams.firstSearchDomain(text) { settings.hostsDomains.suffix = domain } else {
                    fail("no search directive found in \(settings.resolvFile)")
                }
            } else {
                fail("failed to read \(settings.resolvFile) for its search domain")
            }
        }
        guard errors.isEmpty else { return .failure(DNSSetupErrors(errors: errors)) }
        hosts += directoryFiles.files
        do {
            let zone = try LocalZone(settings: settings, hostsFiles: hosts)
            return .success(DNSSetup(settings: settings, zone: zone, hostsFiles: Array(hosts.dropLast(directoryFiles.files.count)),
                                     resolvServers: resolv, warnings: warnings))
        } catch {
            let parts = error.location.split(separator: ":")
            let line = parts.count > 1 ? Int(parts[parts.count - 1]) ?? 0 : 0
            let file = parts.count > 1 ? parts.dropLast().joined(separator: ":") : error.location
            return .failure(DNSSetupErrors(errors: [DNSOptionError(file: file, line: line, option: "zone", message: error.message)]))
        }
    }

    /// The hosts files of `hostsdir` directories (inotify.c set_dynamic_inotify): every regular file not
    /// hidden or a backup (the conf-dir filter), in name order per directory (dnsmasq: directory order). A
    /// directory or file that cannot be read is returned as a failure.
    public static func readHostsDirectories(_ directories: [String]) -> (files: [HostsFile], errors: [(directory: String, message: String)]) {
        var files: [HostsFile] = []
        var errors: [(directory: String, message: String)] = []
        for directory in directories {
            guard case .success(let status) = FileStatus.of(directory), status.kind == .directory,
                  case .success(let names) = directoryEntries(path: directory) else {
                errors.append((directory, "cannot read directory \(directory)"))
                continue
            }
            for name in names where !DnsmasqConfIncludes<DnsmasqConfDisk>.isHiddenOrBackup(name) {
                let path = directory + "/" + name  // as inotify.c joins them (log lines name this path)
                guard case .success(let s) = FileStatus.of(path), s.kind == .regular else { continue }
                guard let text = readTextFile(path) else {
                    errors.append((directory, "cannot read \(path)"))
                    continue
                }
                files.append(HostsFile(text: text, file: path))
            }
        }
        return (files, errors)
    }

    /// Block lists and hostsdir directories are watched with inotify.
    var needsWatcher: Bool { !settings.blocklists.isEmpty || !settings.hostsDirectories.isEmpty }

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
            current.replace(setup, watcher: setup.needsWatcher ? watcher() : nil)
            return current
        }
        current?.stop()
        return try DNSService(setup: setup, loop: loop, watcher: setup.needsWatcher ? watcher() : nil)
    }

    /// Takes new settings and zone on the same sockets; the cache starts empty (flushed on reload, as
    /// dnsmasq's SIGHUP does). Queries in flight finish on the forwarder that sent them (its upstream
    /// sockets stay open until each is answered or times out), as dnsmasq keeps its in-flight records
    /// across SIGHUP: a reload storm loses no answer (test_faults.py::test_reload_storm_*).
    func replace(_ setup: DNSSetup, watcher: FileWatcher?) {
        settings = setup.settings
        unwatchHostsDirectories()  // with the watcher that made the watches
        self.watcher = watcher
        let sink = DNSQueryLogSink(facility: setup.settings.logFacility, fallback: loop.log)
        querySink = sink
        responder = DNSResponder(zone: setup.zone, settings: setup.settings) { line in sink.line(line) }
        retire(forwarder)
        forwarder = DNSForwarder(settings: setup.settings, resolvServers: setup.resolvServers, loop: loop,
                                 log: setup.settings.logQueries == .off ? nil : { line in sink.line(line) })
        startBlocklists()  // re-read on reload, as dnsmasq re-reads its hosts files on SIGHUP
        watchHostsDirectories(setup)
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
