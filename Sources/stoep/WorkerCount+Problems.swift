// What `workers = N` (N > 1) cannot run yet, refused at start-up and by `stoep check` with the file, key
// and reason (never silently served by one worker of N):
// - ACME HTTP-01 and TLS-ALPN-01: only worker 0 runs the ACME client, and the CA's validation connection
//   lands on whichever worker the kernel picks, which does not hold the token. DNS-01 works: worker 0
//   answers the order, every worker reads the certificate from acme.json when it changes.
// - localCA: its resolver serves the certificates it issues from its own memory (not from a file the
//   other workers could read).
// - [cluster]: a node answers its peers for the whole process (its counters, its certificates); the
//   channel would be bound by every worker and answer with one worker's share. One process per node.
import Config

extension WorkerCount {
    static func problems(_ loaded: LoadedConfig) -> [ConfigError] {
        var out: [ConfigError] = []
        for (name, r) in loaded.proxy.certificatesResolvers.sorted(by: { $0.key < $1.key }) {
            if let acme = r.acme, acme.httpChallengeEntryPoint != nil || acme.tlsChallenge {
                out.append(ConfigError(location: r.location, message: "certificatesResolvers.\(name): httpChallenge and tlsChallenge need workers = 1 (the CA's check lands on any worker, only worker 0 holds the token); use dnsChallenge"))
            }
            if r.localCA != nil {
                out.append(ConfigError(location: r.location, message: "certificatesResolvers.\(name).localCA needs workers = 1 (its certificates live in one process's memory)"))
            }
        }
        if let cluster = loaded.cluster {
            out.append(ConfigError(location: cluster.location, message: "[cluster] needs workers = 1 (a node answers its peers for the whole process; each worker would answer with its own share)"))
        }
        return out
    }
}
