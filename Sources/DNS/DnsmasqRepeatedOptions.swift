// dnsmasq's refusal of a single-valued option written twice, as dnsmasq 2.90's option.c `one_opt` does it.
// Each option of option.c's `usage[]` table has a `rept`: ARG_DUP (may repeat: server, address, …), an
// option bit (a flag: may repeat, it only sets the bit again), or ARG_ONE (one value). An ARG_ONE option
// moves ARG_ONE → ARG_USED_CL on the command line and → ARG_USED_FILE in a file; then
//   command line, already ARG_USED_CL:  "illegal repeated flag"
//   file, already ARG_USED_FILE:        "illegal repeated keyword" (at line N of FILE)
// so a file may override the command line once, and a command-line option after a file's is taken too
// (the state stays ARG_USED_FILE). The value applied is simply the last one accepted.
// stoep has no dnsmasq command line: the `[dns]` table of stoep's TOML stands for it (DNSOption.Origin
// .stoepTOML — read before dnsmasq.conf, as dnsmasq reads its command line before its first conf-file), and
// every dnsmasq.conf line, included files of either source too, is a file line. The state is kept per
// option, not per name: `dhcp-lease` and `dhcp-leasefile` are one option (usage[] entry 'l').
import Config

public enum DnsmasqRepeatedOptions {
    /// The long names whose usage[] entry is ARG_ONE in dnsmasq 2.90 (src/option.c, all 49 of them, the ones
    /// stoep does not implement too: dnsmasq would not start with them repeated either).
    public static let singleValued: Set<String> = [
        "add-cpe-id", "add-subnet", "auth-server", "auth-soa", "auth-ttl", "cache-size", "connmark-allowlist-enable",
        "dhcp-alternate-port", "dhcp-duid", "dhcp-lease", "dhcp-lease-max", "dhcp-leasefile", "dhcp-reply-delay",
        "dhcp-script", "dhcp-scriptuser", "dhcp-ttl", "dns-forward-max", "dnssec-limits", "dnssec-timestamp", "dumpfile",
        "dumpmask", "edns-packet-max", "enable-dbus", "enable-ubus", "fast-dns-retry", "group", "local-service",
        "local-ttl", "log-async", "log-facility", "max-cache-ttl", "max-port", "max-tcp-connections", "max-ttl",
        "min-cache-ttl", "min-port", "mx-target", "neg-ttl", "pid-file", "port", "port-limit", "query-port",
        "servers-file", "tftp-max", "tftp-mtu", "tftp-port-range", "umbrella", "use-stale-cache", "user",
    ]

    /// stoep's own single-valued keys (`[dns]` only, so only an array can repeat them): held to the same rule.
    public static let stoepSingleValued: Set<String> = ["block-mode", "block-ttl", "rate-limit"]

    /// Long names that are one option in dnsmasq (the same `opts[]` value), by the name the state is kept under.
    static let sameOption: [String: String] = ["dhcp-leasefile": "dhcp-lease"]

    /// The result of `check`: the lines one_opt would accept, in order, and a refusal for each other one.
    public struct Outcome: Sendable {
        /// `lines` without the refused ones (a refused line is not applied, as dnsmasq stops at it).
        public var accepted: [DNSOption]
        public var errors: [DNSOptionError]
        /// A `[dns]` value a dnsmasq.conf line replaces (dnsmasq: a file overrides the command line once):
        /// legal, and said once at start so that the operator sees which value runs.
        public var warnings: [String]
    }

    private enum Use {
        case commandLine(DNSOption)
        case file(DNSOption)
    }

    /// Runs one_opt's repeat rule over `lines` in the order they are read.
    public static func check(_ lines: [DNSOption]) -> Outcome {
        var outcome = Outcome(accepted: [], errors: [], warnings: [])
        var used: [String: Use] = [:]
        for line in lines {
            let stoepKey = line.origin == .stoepTOML && stoepSingleValued.contains(line.name)
            guard singleValued.contains(line.name) || stoepKey else {
                outcome.accepted.append(line)
                continue
            }
            let key = sameOption[line.name] ?? line.name
            switch (line.origin, used[key]) {
            case (.stoepTOML, .commandLine(let first)?):
                outcome.errors.append(refusal(line, "illegal repeated flag", first: first, stoepKey
                                              ? "stoep's own key takes one value"
                                              : "[dns] of stoep's TOML stands for dnsmasq's command line, which takes it once"))
                continue
            case (.stoepTOML, .file(let first)?):
                // The state stays ARG_USED_FILE: taken, and it replaces the file's value (the later one).
                outcome.warnings.append("\(line.fileAndLine): \(line.name): replaces \(first.fileAndLine)'s value (read after it, as dnsmasq takes a command-line option after a conf-file's)")
            case (.stoepTOML, nil):
                used[key] = .commandLine(line)
            case (.dnsmasqConf, .file(let first)?):
                outcome.errors.append(refusal(line, "illegal repeated keyword", first: first,
                                              "dnsmasq 2.90 takes it once in its configuration files and refuses to start"))
                continue
            case (.dnsmasqConf, .commandLine(let first)?):
                outcome.warnings.append("\(first.fileAndLine): \(first.name): replaced by \(line.fileAndLine) (a dnsmasq.conf line overrides [dns] once, as a dnsmasq file overrides its command line)")
                used[key] = .file(line)
            case (.dnsmasqConf, nil):
                used[key] = .file(line)
            }
            outcome.accepted.append(line)
        }
        return outcome
    }

    private static func refusal(_ line: DNSOption, _ words: String, first: DNSOption, _ why: String) -> DNSOptionError {
        let same = first.name == line.name ? "" : " (\(first.name), the same option)"
        return DNSOptionError(file: line.location.file, line: line.location.line, option: line.name,
                              message: "\(words): first given at \(first.fileAndLine)\(same); \(why)")
    }
}
