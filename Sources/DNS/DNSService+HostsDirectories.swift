// hostsdir: the directories' files are hosts files that change while stoep runs (inotify.c). A new or
// rewritten file is read again and a deleted one's names go, without a reload and without flushing the
// cache, as dnsmasq 2.90 does on IN_CLOSE_WRITE / IN_MOVED_TO / IN_DELETE. stoep re-reads every file of
// the directories and rebuilds the local zone from them and the hosts files read at load (a few hundred
// names take well under a millisecond); the proxy's published names are carried over.
import Reactor

extension DNSService {
    /// Watches `setup`'s hostsdir directories (the watches of an earlier setup are dropped first).
    func watchHostsDirectories(_ setup: DNSSetup) {
        unwatchHostsDirectories()
        staticHostsFiles = setup.hostsFiles
        guard let watcher, !settings.hostsDirectories.isEmpty else { return }
        hostsDirectoryWatches = settings.hostsDirectories.map { directory in
            watcher.watch(path: directory.hasSuffix("/") ? directory : directory + "/") { [weak self] in self?.rereadHostsDirectories() }
        }
    }

    func unwatchHostsDirectories() {
        for id in hostsDirectoryWatches { watcher?.unwatch(id) }
        hostsDirectoryWatches = []
    }

    /// Rebuilds the zone with the directories' files as they are now. A file that cannot be read is left out
    /// (logged), as dnsmasq's read_hostsfile logs "failed to load names" and goes on.
    func rereadHostsDirectories() {
        let (files, errors) = DNSSetup.readHostsDirectories(settings.hostsDirectories)
        for e in errors { loop.log.warning("dns: hostsdir: \(e.message)") }
        do {
            var zone = try LocalZone(settings: settings, hostsFiles: staticHostsFiles + files)
            zone.carryPublishedNames(from: responder.zone)
            responder.zone = zone
            hostsDirectoryReloads &+= 1
            let names = files.reduce(0) { $0 + $1.entries.reduce(0) { $0 + $1.names.count } }
            loop.log.info("dns: hostsdir: read \(files.count) file\(files.count == 1 ? "" : "s"), \(names) names")
        } catch {
            loop.log.warning("dns: hostsdir: \(error); the names in use are kept")
        }
    }
}
