// `stoep run`: load and validate every configuration file (all errors listed, exit 2 on any), bind,
// drop privileges, and run the loop until a signal ends it. Traefik's own flags are taken as Traefik takes
// them (`stoep run --entrypoints.web.address=:80 --providers.docker`), and so are TRAEFIK_* variables.
import Config
import Proxy
import Glibc
import Reactor
import Stats

enum RunCommand {
    static func main(_ args: ArraySlice<String>) -> Int32 {
        let parsed: Arguments
        do {
            parsed = try Arguments(args, valued: ["config", "dnsmasq-conf", "traefik-config", "backend", "stats-socket", "log-level", "profile",
                                                    "workers", "worker", "supervisor", "metrics-totals", "acme-challenges"],
                                   boolean: [], traefik: true)
        } catch {
            printError("stoep run: \(error)")
            return 2
        }
        // `traefik` first: a compose `command: traefik --api …` after the image's `stoep run` entrypoint.
        let words = parsed.positional.first == "traefik" ? Array(parsed.positional.dropFirst()) : parsed.positional
        if let word = words.first {
            printError("stoep run: unexpected argument \(word) (options start with --)")
            return 2
        }
        let log = Logger()
        log.attach(fd: .standardError)
        if let level = parsed.options["log-level"] {
            guard let l = ["debug": Logger.Level.debug, "info": .info, "warning": .warning, "error": .error][level] else {
                printError("stoep run: --log-level must be debug, info, warning or error")
                return 2
            }
            log.level = l
        }
        // Traefik's flags and TRAEFIK_* variables count as configuration: with them, the embedded default is not used.
        let source = ConfigSource.resolve(parsed, environment: ProcessFacts.environment())
        let loaded: LoadedConfig
        switch source.load() {
        case .success(let c): loaded = c
        case .failure(let e):
            printError("stoep: configuration is not valid (\(e.errors.count) error\(e.errors.count == 1 ? "" : "s")):")
            for err in e.errors { printError("  \(err)") }
            return 2
        }
        let config = loaded.config
        let backendName = parsed.options["backend"] ?? config.backend.rawValue
        guard backendName == "auto" || BackendKind(rawValue: backendName) != nil else {
            printError("stoep run: --backend must be auto, io_uring or epoll")
            return 2
        }
        let backend = BackendKind(rawValue: backendName)  // nil: auto
        let statsPath = StatsSocketPath.resolve(flag: parsed.options["stats-socket"] ?? config.stats.socket,
                                                environment: ProcessFacts.environment())
        // `--worker I` (hidden): started by a supervisor; `--workers N`, `workers =` or the profile's: N > 1
        // makes this process the supervisor (docs/architecture.md, "Workers").
        let workerIndex = parsed.options["worker"].flatMap { Int($0) }
        if workerIndex == nil {
            var count = config.workers ?? loaded.profile?.workers ?? .count(1)
            if let text = parsed.options["workers"] {
                guard let w = WorkerCount(text) else {
                    printError("stoep run: --workers must be a number from 1 to \(WorkerCount.maximum) or auto")
                    return 2
                }
                count = w
            }
            let n = count.resolved(onlineCPUs: WorkerProcess.onlineCPUs)
            if n > 1 {
                do {
                    let identity = try config.user.map { try ProcessIdentity.resolve(user: $0, group: config.group, extraGroups: config.groups) }
                    let owner: (uid: uid_t, gid: gid_t)? = identity.flatMap { $0.isCurrent ? nil : (uid: $0.uid, gid: $0.gid) }
                    let supervisor = try WorkerSupervisor(workers: n, arguments: Array(args), metrics: loaded.proxy.prometheus != nil,
                                                          source: source, statsPath: statsPath, statsOwner: owner, backend: backend, log: log)
                    return supervisor.run()
                } catch {
                    log.error("cannot start: \(error)")
                    log.flush()
                    return 1
                }
            }
        } else if let index = workerIndex {
            Socket.sharedPorts = true
            log.prefix = "worker \(index): "
            if let supervisor = parsed.options["supervisor"].flatMap({ Int32($0) }), WorkerProcess.dieWithParent(supervisor: supervisor) {
                return 1  // the supervisor is gone already
            }
            if config.workerCPUAffinity {
                let cpu = index % WorkerProcess.onlineCPUs
                if let e = WorkerProcess.pin(toCPU: cpu) { log.warning("worker-cpu-affinity: cannot run on CPU \(cpu): \(e)") }
            }
        }
        ProcessFacts.raiseFileLimit()
        let appliance: Appliance
        do {
            // A restart right after a kill -9: the predecessor's sockets may be held for some ms more by its
            // io_uring, which the kernel tears down after the process is gone (Socket.waitForAddressInUseUntil).
            Socket.waitForAddressInUseUntil = monotonicNanos() &+ 1_000_000_000
            defer { Socket.waitForAddressInUseUntil = 0 }
            // Resolved before anything is bound: a missing user or group takes no port, and the stats
            // socket is created with its final owner.
            let identity = try config.user.map { try ProcessIdentity.resolve(user: $0, group: config.group, extraGroups: config.groups) }
            let owner: (uid: uid_t, gid: gid_t)? = identity.flatMap { $0.isCurrent ? nil : (uid: $0.uid, gid: $0.gid) }
            appliance = try Appliance(loaded: loaded, source: source, backend: backend, statsPath: statsPath, statsOwner: owner, log: log)
            appliance.workerIndex = workerIndex
            appliance.observability.totalsFile = parsed.options["metrics-totals"]
            appliance.dynamic.sharedChallenges = parsed.options["acme-challenges"].map { SharedChallenges(directory: $0, log: log) }
            try appliance.start()
            if let identity {
                try identity.become()
                appliance.privilegesDropped(to: identity)
            }
        } catch {
            log.error("cannot start: \(error)")
            log.flush()
            return 1
        }
        if workerIndex != nil {
            WorkerProcess.announceReady()
        } else {
            appliance.systemd.ready(status: "serving (\(source.description))")
        }
        log.info("stoep \(Version.text) running on \(appliance.loop.backendKind.rawValue) (\(source.description)); stats socket \(statsPath)")
        log.flush()
        _ = ProcessFacts.releaseStartupTextPages()
        do {
            try appliance.run()
        } catch {
            log.error("event loop failed: \(error)")
            log.flush()
            return 1
        }
        log.info("stopped")
        log.flush()
        return 0
    }
}
