// The dnsmasq.conf reader and the option parser behind it (address=, host-record=, cname=, server=, local=,
// domain=, rev-server=, ...), the include directives (conf-file, conf-dir, servers-file) over files held in
// memory — the input itself is every file, so it can include itself, loop and name the directory — then
// the local zone built from what it accepted (hosts file expanded by expand-hosts/domain=), as start-up and
// every reload build it. No file is read from disk.
import Config
import DNS

enum DnsmasqConfFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let files = DnsmasqConfMemoryFiles(
            files: ["fuzz.conf": text, "/etc/dnsmasq.d/a.conf": text, "/etc/dnsmasq.d/b.conf": text, "servers": text],
            directories: ["/etc/dnsmasq.d": ["b.conf", "a.conf", ".hidden", "c~", "#d#", "e.conf.bak"]],
            links: ["/etc/dnsmasq.conf": "fuzz.conf"])
        let read = DnsmasqConfIncludes.read(tomlLines: [], dnsmasqConf: "fuzz.conf", files: files)
        let options = DNSOptions.parse(read.lines)
        _ = try? LocalZone(settings: options.settings, hostsFiles: [HostsFile(text: text, file: "fuzz.hosts")])
        _ = DNSUpstreams.parseResolvConf(text)
        _ = DNSUpstreams.firstSearchDomain(text)
    }
}
