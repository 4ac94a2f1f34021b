// `stoep keygen TYPE`: prints a new private key (PEM) to standard output. The running appliance asks
// its own binary for RSA keys this way (KeyGeneration): an RSA 4096 key takes 2–3 s on this VM and
// longer on a small board, time the event loop must not stand still for. EC keys are made in place.
import PKI
import Proxy
import Reactor

enum KeygenCommand {
    static func main(_ args: ArraySlice<String>) -> Int32 {
        guard args.count == 1, let type = KeyType(rawValue: args.first!) else {
            printError("usage: stoep keygen \(KeyType.allCases.map(\.rawValue).joined(separator: "|"))")
            return 2
        }
        guard let key = PrivateKey.generate(type) else {
            printError("stoep keygen: OpenSSL could not generate a \(type.rawValue) key")
            return 1
        }
        print(String(decoding: key.pem, as: UTF8.self), terminator: "")
        return 0
    }
}

/// Keys for the certificate resolvers without stalling the loop: EC at once (under a millisecond), RSA in a
/// child `stoep keygen` whose output is read on the loop (ChildProcess), bounded by two minutes.
enum KeyGeneration {
    static func make(loop: EventLoop, log: Logger) -> KeyMaker {
        return { type, done in
            if !type.isRSA { return done(PrivateKey.generate(type)) }
            do {
                _ = try ChildProcess(path: "/proc/self/exe", arguments: ["keygen", type.rawValue], timeoutNanos: 120_000_000_000,
                                     loop: loop, outputLimit: 16 << 10) { outcome in
                    guard outcome.termination == .exited(0), let key = PrivateKey(pem: outcome.output) else {
                        log.warning("stoep keygen \(type.rawValue): \(outcome.termination) \(outcome.outputText.prefix(200)); generating in place")
                        return done(PrivateKey.generate(type))
                    }
                    done(key)
                }
            } catch {
                log.warning("stoep keygen \(type.rawValue) could not start (\(error)); generating in place")
                done(PrivateKey.generate(type))
            }
        }
    }
}
