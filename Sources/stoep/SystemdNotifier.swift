// systemd's readiness protocol without libsystemd: datagrams to $NOTIFY_SOCKET ("READY=1",
// "RELOADING=1", "STOPPING=1", "WATCHDOG=1"), and a watchdog ping at half of $WATCHDOG_USEC from a loop
// timer — so a wedged loop stops pinging and systemd restarts us. See sd_notify(3).
import Glibc
import Reactor

final class SystemdNotifier {
    private let path: String?
    private var timer: Timer?

    init(environment: [String: String]) {
        path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        watchdogInterval = environment["WATCHDOG_USEC"].flatMap { UInt64($0) }.map { $0 * 1000 / 2 }
        if let pid = environment["WATCHDOG_PID"].flatMap({ Int32($0) }), pid != getpid() { watchdogInterval = nil }
    }

    /// Nanoseconds between watchdog pings (half the configured WatchdogSec), nil without a watchdog.
    private(set) var watchdogInterval: UInt64?

    var enabled: Bool { path != nil }

    func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    func reloading() { send("RELOADING=1\nMONOTONIC_USEC=\(monotonicNanos() / 1000)") }
    func stopping() { send("STOPPING=1") }

    /// Starts the watchdog pings on `loop`.
    func startWatchdog(on loop: EventLoop) {
        guard let interval = watchdogInterval, path != nil else { return }
        let t = Timer { [unowned self, unowned loop] _ in
            self.send("WATCHDOG=1")
            if let t = self.timer { loop.schedule(t, after: interval) }
        }
        timer = t
        loop.schedule(t, after: interval)
    }

    /// One datagram; errors are ignored (systemd gone, or not started by systemd at all).
    private func send(_ message: String) {
        guard let path, let address = SocketAddress(unixPath: path, atMeansAbstract: true),
              let socket = try? DatagramSocket.unbound(family: address.family) else { return }
        defer { socket.close() }
        _ = socket.send(Array(message.utf8), to: address)
    }
}
