import Reactor

let usage = """
usage: stoep run   [--config FILE] [--dnsmasq-conf FILE] [--traefik-config FILE]
                   [--backend auto|io_uring|epoll] [--stats-socket PATH] [--log-level LEVEL]
                   [--profile rpi4|rpi5|n100|PATH]
       stoep check FILE... | --config FILE | --dnsmasq-conf FILE
       stoep migrate [--dnsmasq-conf FILE] [--traefik-config FILE]   (prints stoep TOML, reports the rest)
       stoep stats [--stats-socket PATH] [--json] [--watch] [--interval S] [--count N] [COMMAND...]
       stoep ca export [--config FILE] [--traefik-config FILE] [--resolver NAME] [--storage DIR] [--der]
                   (prints the community CA's root certificate)
       stoep version
With no configuration at all, `stoep run` uses the embedded default: DNS on 127.0.0.1:5353
(*.stoep.lan -> 127.0.0.1), a status page on http://127.0.0.1:8080/, and the stats socket.
"""

func printError(_ s: String) {
    var line = Array(s.utf8)
    line.append(10)
    FileDescriptor.standardError.writeAll(line)
}
