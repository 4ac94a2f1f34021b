// `stoep cluster-ca`: prints a new cluster CA — its certificate, then its key, PEM — to standard output,
// for `docker secret create` (docs/cluster.md, "The cluster channel"):
//   stoep cluster-ca | docker secret create stoep-cluster-ca -
// The key never touches a disk this way. Every stoep of the swarm mounts the secret and issues itself a
// leaf from it at start; replacing the secret (a new CA) is a rolling update of the stoep service.
import PKI
import Reactor

enum ClusterCACommand {
    static func main(_ args: ArraySlice<String>) -> Int32 {
        guard args.isEmpty else {
            printError("usage: stoep cluster-ca   (prints a new cluster CA, certificate and key, PEM)")
            return 2
        }
        guard let ca = ClusterCA.create(now: Int64(wallClockSeconds())) else {
            printError("stoep cluster-ca: OpenSSL could not make the CA")
            return 1
        }
        if let e = FileDescriptor.standardOutput.writeAll(ca.pem) {
            printError("stoep cluster-ca: standard output: \(e)")
            return 1
        }
        return 0
    }
}
