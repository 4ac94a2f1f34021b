// The dnsmasq.conf reader and the option parser behind it (address=, host-record=, cname=, server=, local=,
// ...), then the local zone built from what it accepted, as start-up and every reload build it.
import Config
import DNS

enum DnsmasqConfFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        let lines = DnsmasqConfReader.parse(text: String(decoding: bytes, as: UTF8.self), file: "fuzz.conf")
        let options = DNSOptions.parse(lines)
        _ = try? LocalZone(settings: options.settings)
        _ = DNSUpstreams.parseResolvConf(String(decoding: bytes, as: UTF8.self))
        _ = HostsFile(text: String(decoding: bytes, as: UTF8.self), file: "fuzz.hosts")
    }
}
