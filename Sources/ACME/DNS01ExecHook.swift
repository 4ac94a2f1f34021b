// lego's `exec` provider (providers/dns/exec): the program EXEC_PATH names is called as
//   PROGRAM present _acme-challenge.DOMAIN. VALUE          (and `cleanup` with the same arguments)
//   PROGRAM present -- DOMAIN TOKEN KEYAUTH                 with EXEC_MODE=RAW
// and a non-zero exit fails the challenge. Its output goes to the log, as lego prints it. stoep runs it
// on the loop as a ChildProcess (posix_spawn, the exit reaped through a pidfd) with a timeout lego does
// not have: the propagation timeout, at least 60 s; a hook still running then is killed with its children.
import Config
import Reactor

final class DNS01ExecHook: DNS01Hook {
    let name = "exec"
    let program: String
    let raw: Bool
    let propagationTimeout: UInt64
    let pollingInterval: UInt64
    private let loop: EventLoop
    private let log: Logger

    static let known = ["EXEC_PATH", "EXEC_MODE", "EXEC_PROPAGATION_TIMEOUT", "EXEC_POLLING_INTERVAL"]
    static let refused = [
        "EXEC_SEQUENCE_INTERVAL": "stoep does not wait between the challenges of an order (its hooks never run at the same time, as lego's sequential exec provider's do)",
    ]

    init(environment: [String: String], loop: EventLoop, log: Logger) throws(DNS01Error) {
        var env = DNS01Environment(environment, prefix: "EXEC_")
        guard let path = env.value("EXEC_PATH"), !path.isEmpty else {
            throw DNS01Error("dnsChallenge provider exec: EXEC_PATH is not set (the program that sets the TXT record)")
        }
        program = path
        switch env.value("EXEC_MODE") {
        case nil, "": raw = false
        case "RAW": raw = true
        case let other?:
            raw = false
            env.warn("EXEC_MODE=\(other): lego knows only RAW; the default mode (present FQDN VALUE) applies")
        }
        propagationTimeout = env.seconds("EXEC_PROPAGATION_TIMEOUT", default: DNS01Defaults.propagationTimeout)
        pollingInterval = env.seconds("EXEC_POLLING_INTERVAL", default: DNS01Defaults.pollingInterval)
        env.check(known: Self.known, refused: Self.refused)
        for w in env.warnings { log.warning("dns-01 exec: \(w)") }
        self.loop = loop
        self.log = log
    }

    /// The arguments after the program (argv[1...]).
    func arguments(_ action: DNS01Action, _ challenge: ACMEChallenge, fqdn: String? = nil) -> [String] {
        if raw { return [action.rawValue, "--", challenge.domain, challenge.token, challenge.keyAuthorization] }
        return [action.rawValue, fqdn ?? challenge.dnsRecordName, challenge.dnsRecordValue]
    }

    /// How long one call may run.
    var hookTimeout: UInt64 { max(propagationTimeout, DNS01Defaults.propagationTimeout) }

    func run(_ action: DNS01Action, _ challenge: ACMEChallenge, fqdn: String, done: @escaping (String?) -> Void) {
        let arguments = arguments(action, challenge, fqdn: fqdn)
        let program = self.program, log = self.log
        do {
            _ = try ChildProcess(path: program, arguments: arguments, timeoutNanos: hookTimeout, loop: loop) { outcome in
                let output = outcome.outputText
                if !output.isEmpty {  // one log line: the output's lines joined
                    let oneLine = output.split(separator: "\n").joined(separator: " | ")
                    log.info("dns-01 exec \(program) \(action.rawValue) \(challenge.domain): \(oneLine)")
                }
                guard outcome.termination == .exited(0) else {
                    return done("\(program) \(action.rawValue) \(challenge.domain): \(outcome.termination)"
                                + (output.isEmpty ? "" : ": \(Self.lastLine(output))"))
                }
                done(nil)
            }
        } catch {
            let why = "\(program) \(action.rawValue) \(challenge.domain): cannot start: \(error.errno)"
            let t = Timer { _ in done(why) }  // never from inside run
            loop.schedule(t, after: 0)
        }
    }

    private static func lastLine(_ text: String) -> String {
        String(text.split(separator: "\n").last ?? "").prefix(300).description
    }
}
