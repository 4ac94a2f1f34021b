// log-queries lines in dnsmasq's format (src/cache.c log_query), so existing log parsers
// and habits keep working: `<source> <name> <verb> <detail>`.
//   query[A] app.inethi.local from 10.0.0.5
//   config app.inethi.local is 10.0.0.1        /etc/hosts myhost is 10.0.0.2
//   config x is NXDOMAIN / NODATA-IPv4 / NODATA-IPv6 / NODATA / <CNAME>
//   config 10.0.0.1 is myhost                  (PTR: address first, like dnsmasq's F_REVERSE)
//   forwarded example.com to 1.1.1.1           reply example.com is 93.184.216.34
// Names that are not printable are logged as `<name unprintable>`, the root as `.`.

public enum DNSQueryLog {
    public static func query(_ type: DNSRecordType, _ name: DNSName, from client: IPAddress) -> String {
        "query[\(type)] \(text(name)) from \(client)"
    }

    public static func answer(_ source: LocalSource, _ name: DNSName, is address: IPAddress) -> String {
        "\(text(source)) \(text(name)) is \(address)"
    }

    public static func nxdomain(_ source: LocalSource, _ name: DNSName) -> String {
        "\(text(source)) \(text(name)) is NXDOMAIN"
    }

    /// NODATA-IPv4 for A, NODATA-IPv6 for AAAA, NODATA for any other type.
    public static func nodata(_ source: LocalSource, _ name: DNSName, type: DNSRecordType) -> String {
        let detail = type == .a ? "NODATA-IPv4" : type == .aaaa ? "NODATA-IPv6" : "NODATA"
        return "\(text(source)) \(text(name)) is \(detail)"
    }

    public static func cname(_ source: LocalSource, _ alias: DNSName) -> String {
        "\(text(source)) \(text(alias)) is <CNAME>"
    }

    public static func pointer(_ source: LocalSource, _ address: IPAddress, is name: DNSName) -> String {
        "\(text(source)) \(address) is \(text(name))"
    }

    /// dnsmasq's line when it answers with an error code itself (no upstream): `config error is REFUSED`.
    public static func configError(_ rcode: DNSResponseCode) -> String {
        "config error is \(rcode == .notImplemented ? "not implemented" : rcode.description)"
    }

    public static func forwarded(_ name: DNSName, to server: IPAddress) -> String {
        "forwarded \(text(name)) to \(server)"
    }

    public static func reply(_ name: DNSName, is address: IPAddress) -> String {
        "reply \(text(name)) is \(address)"
    }

    public static func cached(_ name: DNSName, is address: IPAddress) -> String {
        "cached \(text(name)) is \(address)"
    }

    public static func text(_ name: DNSName) -> String {
        name.isPrintable ? name.description : "<name unprintable>"
    }

    static func text(_ source: LocalSource) -> String {
        switch source {
        case .config, .published: return "config"
        case .hostsFile(let file): return file
        }
    }
}
