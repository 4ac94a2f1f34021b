// The configuration stoep runs with when it is given none: a local resolver for *.stoep.lan and an
// HTTP entry point, both on loopback only, so a bare `stoep run` is safe on any network.

extension StoepConfig {
    public static let embeddedDefaultSource = "embedded default"

    /// DNS on 127.0.0.1:5353 answering stoep.lan and every name below it with 127.0.0.1, nothing
    /// forwarded; entry point `web` on 127.0.0.1:8080; no forwards.
    public static let embeddedDefaultText = """
        # stoep's built-in configuration, used when no config file is given.

        [dns]
        listen-address = "127.0.0.1"
        port = 5353
        # stoep.lan and all names below it resolve to this machine.
        address = ["/stoep.lan/127.0.0.1"]
        # Answer other record types (AAAA, MX, ...) for stoep.lan with NODATA instead of REFUSED:
        # there is no upstream to forward them to (dnsmasq >= 2.86 behaviour).
        local = ["/stoep.lan/"]
        no-resolv = true
        no-hosts = true

        [entryPoints.web]
        address = "127.0.0.1:8080"

        """
}
