// What `workers = N` (N > 1) cannot run, refused at start-up and by `stoep check` with the file, key and
// reason (never silently served by one worker of N):
// - [cluster]: a node answers its peers for the whole process (its counters, its certificates); the
//   channel would be bound by every worker and answer with one worker's share. One process per node.
// Certificates work with workers: worker 0 runs the ACME orders and the community CA, the others read what
// it stores (acme.json, the CA's issued/ folder) and answer the CA's HTTP-01 and TLS-ALPN-01 validation
// requests that land on them from what worker 0 publishes beside the stats socket (SharedChallenges).
import Config

extension WorkerCount {
    static func problems(_ loaded: LoadedConfig) -> [ConfigError] {
        guard let cluster = loaded.cluster else { return [] }
        return [ConfigError(location: cluster.location, message: "[cluster] needs workers = 1 (a node answers its peers for the whole process; each worker would answer with its own share)")]
    }
}
