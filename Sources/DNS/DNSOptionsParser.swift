// Turning dnsmasq option lines into DNSSettings. Every line ends up in exactly one place:
// the settings, `errors` (a bad value, with file:line), or `unsupported` (an option stoep
// does not implement — DHCP, TFTP, …), so that nothing is silently dropped.
// A single-valued option given twice is refused as dnsmasq 2.90 refuses it (DnsmasqRepeatedOptions); where
// dnsmasq lets a second value in (a dnsmasq.conf line after [dns]'s), the last one read wins, as in dnsmasq.
import Config

/// A value stoep cannot use, located at its source line.
public struct DNSOptionError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var option: String
    public var message: String
    public init(file: String, line: Int, option: String, message: String) {
        self.file = file
        self.line = line
        self.option = option
        self.message = message
    }
    public var description: String { "\(file):\(line): \(option): \(message)" }
}

public struct DNSOptions: Sendable {
    public var settings: DNSSettings
    public var errors: [DNSOptionError]
    /// Options recognised as dnsmasq's but not implemented by stoep, each with its line.
    public var unsupported: [DNSOption]
    /// Legal but worth saying once at start: a [dns] value a dnsmasq.conf line replaced.
    public var warnings: [String] = []

    /// Parses `lines` in order on top of the defaults.
    public static func parse(_ lines: [DNSOption]) -> DNSOptions {
        let repeats = DnsmasqRepeatedOptions.check(lines)
        var result = DNSOptions(settings: DNSSettings(), errors: repeats.errors, unsupported: [], warnings: repeats.warnings)
        for line in repeats.accepted {
            do {
                if try !result.apply(line) { result.unsupported.append(line) }
            } catch {
                result.errors.append(error)
            }
        }
        result.checkTLSOnlyForwarding(lines)
        return result
    }

    /// With `server-tls`, names no domain line covers go over TLS only (docs/dns.md, "DNS over TLS
    /// upstreams"): a plain unqualified `server=` line or a `resolv-file` would be a second, plaintext
    /// path for the same names, and ignoring it silently is not allowed — both are refused at their line.
    private mutating func checkTLSOnlyForwarding(_ lines: [DNSOption]) {
        guard !settings.serverTLS.isEmpty else { return }
        let why = "not used beside server-tls: names no server=/domain/ line covers go over TLS only (no plaintext fallback); remove it, or give it a /domain/"
        for line in lines where line.name == "server" || line.name == "resolv-file" {
            if line.name == "server", let value = line.value, value.hasPrefix("/") { continue }
            errors.append(DNSOptionError(file: line.location.file, line: line.location.line, option: line.name, message: why))
        }
    }

    /// Applies one line; false when the option is not one stoep implements.
    private mutating func apply(_ line: DNSOption) throws(DNSOptionError) -> Bool {
        let v = DNSOptionValue(line: line)
        switch line.name {
        case "port": settings.port = try v.integer(UInt16.self)
        case "listen-address":
            for text in try v.list() {
                guard let address = IPAddress(text) else { throw v.error("'\(text)' is not an IP address") }
                settings.listenAddresses.append(address)
            }
        case "interface": settings.interfaces += try v.list()
        case "bind-interfaces": settings.bindInterfaces = try v.flag()
        case "no-hosts": settings.noHosts = try v.flag()
        case "addn-hosts": settings.additionalHostsFiles.append(try v.required())
        case "hostsdir": settings.hostsDirectories.append(try v.required())
        case "expand-hosts": settings.expandHosts = try v.flag()
        case "domain":
            if let local = try settings.hostsDomains.add(v) { settings.servers.append(local) }
        case "rev-server": settings.servers.append(try DNSRecordLineParser.reverseServer(v))
        case "conf-file", "conf-dir", "servers-file":
            // Expanded before parsing (DnsmasqConfIncludes); one that reaches here was already read.
            break
        case "address": settings.addressRules.append(try DNSRecordLineParser.address(v))
        case "host-record": settings.hostRecords.append(try DNSRecordLineParser.hostRecord(v))
        case "cname": settings.cnames.append(try DNSRecordLineParser.cname(v))
        case "server", "local": settings.servers.append(try DNSRecordLineParser.server(v))
        case "domain-needed": settings.domainNeeded = try v.flag()
        case "bogus-priv": settings.bogusPriv = try v.flag()
        case "local-ttl": settings.localTTL = try v.integer(UInt32.self)
        case "no-resolv": settings.noResolv = try v.flag()
        case "resolv-file": settings.resolvFile = try v.required()
        case "strict-order": settings.strictOrder = try v.flag()
        case "all-servers": settings.allServers = try v.flag()
        case "cache-size": settings.cacheSize = Int(try v.integer(UInt32.self))
        case "neg-ttl": settings.negativeTTL = try v.integer(UInt32.self)
        case "min-cache-ttl": settings.minCacheTTL = min(try v.integer(UInt32.self), 3600)
        case "max-cache-ttl": settings.maxCacheTTL = try v.integer(UInt32.self)
        case "dns-forward-max":
            let n = try v.integer(UInt32.self)
            guard n > 0 else { throw v.error("must be at least 1") }
            settings.dnsForwardMax = Int(n)
        case "fast-dns-retry":
            // dnsmasq: `fast-dns-retry[=<initial delay ms>[,<give up after ms>]]`; the first value is
            // the per-server deadline here (the second is ignored: every server is tried once).
            let first = line.value?.split(separator: ",").first.map(String.init) ?? "1000"
            guard let ms = Int(first), ms >= 50, ms <= 60_000 else { throw v.error("must be 50..60000 milliseconds") }
            settings.upstreamTimeoutMilliseconds = ms
        case "edns-packet-max":
            let n = try v.integer(UInt16.self)
            guard n >= EDNS.minimumUDPSize else { throw v.error("must be at least 512") }
            settings.ednsPacketMax = Int(n)
        case "log-queries":
            switch line.value {
            case nil, "true", "yes": settings.logQueries = .on
            case "false", "no": settings.logQueries = .off
            case "extra": settings.logQueries = .extra
            case "proto": settings.logQueries = .proto
            default: throw v.error("expected no value, 'extra' or 'proto'")
            }
        case "log-facility": settings.logFacility = try v.required()
        case "local-service":
            switch line.value {
            case nil, "true", "yes", "net": settings.localService = .net
            case "host": settings.localService = .host
            default: throw v.error("expected no value, 'net' or 'host'")
            }
        case "rate-limit":
            try v.stoepOnly()
            let parts = try v.required().split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let n = UInt32(parts[0]), let seconds = UInt32(parts[1]), (n == 0) == (seconds == 0) else {
                throw v.error("expected \"COUNT/SECONDS\" as Pi-hole writes it (\"1000/60\"; \"0/0\" turns it off)")
            }
            settings.rateLimitCount = n
            settings.rateLimitIntervalSeconds = seconds
        case "blocklists":
            try v.stoepOnly()
            settings.blocklists.append(try v.required())
        case "allowlists":
            try v.stoepOnly()
            settings.allowlists.append(try v.required())
        case "block-mode":
            try v.stoepOnly()
            guard let mode = DNSSettings.BlockMode(rawValue: try v.required().lowercased()) else {
                throw v.error("expected \"null\" (0.0.0.0 and ::, Pi-hole's default) or \"nxdomain\"")
            }
            settings.blockMode = mode
        case "block-ttl":
            try v.stoepOnly()
            settings.blockTTL = try v.integer(UInt32.self)
        case "server-tls":
            try v.stoepOnly()
            switch DNSTLSServer.parse(try v.required(), location: line.fileAndLine) {
            case .success(let server): settings.serverTLS.append(server)
            case .failure(let e): throw v.error(e.description)
            }
        case "server-tls-ca":
            try v.stoepOnly()
            settings.serverTLSCA.append(try v.required())
        default:
            if line.name.isEmpty { throw v.error("empty option name") }
            return false
        }
        return true
    }
}

/// One option's value with the checks every option shares.
struct DNSOptionValue {
    let line: DNSOption

    func error(_ message: String) -> DNSOptionError {
        DNSOptionError(file: line.location.file, line: line.location.line, option: line.name, message: message)
    }

    /// A bare flag. TOML booleans arrive as "true"/"false"; anything else is an error.
    func flag() throws(DNSOptionError) -> Bool {
        switch line.value {
        case nil, "true", "yes": return true
        case "false", "no": return false
        default: throw error("takes no value")
        }
    }

    /// stoep's own keys live in the `[dns]` table of stoep's TOML: a dnsmasq.conf stays readable by dnsmasq.
    func stoepOnly() throws(DNSOptionError) {
        guard line.origin == .stoepTOML else {
            throw error("stoep's own key, not a dnsmasq option: set it in the [dns] table of stoep's TOML configuration")
        }
    }

    func required() throws(DNSOptionError) -> String {
        guard let value = line.value, !value.isEmpty else { throw error("needs a value") }
        return value
    }

    /// A comma-separated list; empty items are errors.
    func list() throws(DNSOptionError) -> [String] {
        let items = try required().split(separator: ",", omittingEmptySubsequences: false)
            .map { String(DnsmasqConfReader.trim($0)) }
        guard !items.contains(where: \.isEmpty) else { throw error("empty item in list") }
        return items
    }

    func integer<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws(DNSOptionError) -> T {
        let text = try required()
        guard let n = T(text) else { throw error("'\(text)' is not a number between 0 and \(T.max)") }
        return n
    }

    func name(_ text: Substring) throws(DNSOptionError) -> DNSName {
        do { return try DNSName(text: String(text)) } catch { throw self.error(error.description) }
    }
}
