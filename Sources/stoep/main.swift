// stoep: local DNS, a Traefik-compatible reverse proxy and live stats in one single-threaded process.
//   stoep run    [--config FILE] [--dnsmasq-conf FILE] [--traefik-config FILE] [--backend auto|io_uring|epoll]
//                [--stats-socket PATH] [--log-level debug|info|warning|error] [--workers N|auto] [Traefik's flags…]
//   stoep check  FILE... | [--config FILE] [--dnsmasq-conf FILE] [--traefik-config FILE] [Traefik's flags…]
//   stoep migrate [--dnsmasq-conf FILE] [--traefik-config FILE | Traefik's flags…]
//   stoep stats  [--stats-socket PATH] [--json] [--watch] [COMMAND...]
//   stoep ca export [--config FILE] [--traefik-config FILE] [--resolver NAME] [--storage DIR] [--der]
//   stoep cluster-ca   (a new cluster CA for the swarm's secret)
//   stoep version
import Glibc
import Stats

let argv = CommandLine.arguments
let command = argv.count > 1 ? argv[1] : "run"
let rest = argv.dropFirst(min(2, argv.count))
let status: Int32
switch command {
// `traefik …`: a compose `command:` written for Traefik's image (`traefik --api …`) works unchanged.
case "run", "traefik": status = RunCommand.main(rest)
case "check": status = CheckCommand.main(rest)
case "migrate": status = MigrateCommand.main(rest)
case "stats": status = statsCommand(Array(rest))
case "keygen": status = KeygenCommand.main(rest)
case "ca": status = CACommand.main(rest)
case "cluster-ca": status = ClusterCACommand.main(rest)
case "version", "--version": print("stoep \(Version.text)"); status = 0
case "help", "--help", "-h": print(usage); status = 0
default:
    // `stoep --entrypoints.web.address=:80 …`: Traefik's image runs flags alone the same way.
    if command.hasPrefix("-") {
        status = RunCommand.main(argv.dropFirst())
    } else {
        printError("unknown command \(command)\n\(usage)")
        status = 2
    }
}
exit(status)
