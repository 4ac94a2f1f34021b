import Reactor

let usage = """
usage: stoep run   [--config FILE] [--dnsmasq-conf FILE] [--traefik-config FILE]
                   [--backend auto|io_uring|epoll] [--stats-socket PATH] [--log-level LEVEL]
                   [--workers N|auto] [--profile rpi4|rpi5|n100|PATH] [Traefik's flags: --entrypoints.web.address=:80 ...]
       stoep check FILE... | [--config FILE] [--dnsmasq-conf FILE] [--traefik-config FILE] [Traefik's flags]
                   (lists what `stoep run` would: every error and warning; exit 1 on an error)
       stoep migrate [--dnsmasq-conf FILE] [--traefik-config FILE]   (prints stoep TOML, reports the rest)
       stoep migrate Traefik's flags...   (or TRAEFIK_* variables: prints the equivalent Traefik static file)
       stoep stats [--stats-socket PATH] [--json] [--watch] [--interval S] [--count N] [--swarm] [COMMAND...]
       stoep ca export [--config FILE] [--traefik-config FILE] [--resolver NAME] [--storage DIR] [--der]
                   (prints the community CA's root certificate)
       stoep cluster-ca   (prints a new cluster CA for `docker secret create stoep-cluster-ca -`)
       stoep version
Traefik's static configuration comes from one source, as Traefik chooses: a file (--traefik-config,
--configFile, or Traefik's default locations), else its flags, else TRAEFIK_* variables.
With no configuration at all, `stoep run` uses the embedded default: DNS on 127.0.0.1:5353
(*.stoep.lan -> 127.0.0.1), a status page on http://127.0.0.1:8080/, and the stats socket.
"""

func printError(_ s: String) {
    var line = Array(s.utf8)
    line.append(10)
    FileDescriptor.standardError.writeAll(line)
}
