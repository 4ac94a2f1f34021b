// How the configuration's reloads went: counters for `show stats` and traefik_config_* series, and the
// errors of the last failed one for `show config-errors`.
import Config
import Reactor

struct ReloadRecord {
    /// Reloads applied: SIGHUP, and rebuilds after a watched provider file changed.
    var reloads: UInt64 = 0
    var failures: UInt64 = 0
    var lastSucceeded = true
    /// Wall-clock seconds of the last successful load (start-up counts).
    var lastSuccess = wallClockSeconds()
    /// Errors of the last failed reload (cleared by the next successful one).
    var errors: [ConfigError] = []

    /// A reload or a provider's rebuild was applied; `clearingErrors`: it read every file (SIGHUP).
    mutating func applied(clearingErrors: Bool) {
        reloads &+= 1
        if clearingErrors {
            errors = []
            lastSucceeded = true
        }
        lastSuccess = wallClockSeconds()
    }

    mutating func failed(_ errors: [ConfigError]) {
        failures &+= 1
        lastSucceeded = false
        self.errors = errors
    }
}
