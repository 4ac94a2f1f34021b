// What `workers = N` (N > 1) cannot run yet, refused at start-up and by `stoep check` with the file, key
// and reason (never silently served by one worker of N):
// - localCA: its resolver serves the certificates it issues from its own memory (not from a file the
//   other workers could read).
// ACME works with every challenge: worker 0 runs the orders, every worker reads the certificates from
// acme.json when it changes, and the CA's HTTP-01 and TLS-ALPN-01 validation requests, which land on any
// worker, are answered from what worker 0 publishes beside the stats socket (SharedChallenges).
import Config

extension WorkerCount {
    static func problems(_ loaded: LoadedConfig) -> [ConfigError] {
        var out: [ConfigError] = []
        for (name, r) in loaded.proxy.certificatesResolvers.sorted(by: { $0.key < $1.key }) where r.localCA != nil {
            out.append(ConfigError(location: r.location, message: "certificatesResolvers.\(name).localCA needs workers = 1 (its certificates live in one process's memory)"))
        }
        return out
    }
}
