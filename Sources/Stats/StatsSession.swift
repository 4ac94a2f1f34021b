// One stats-socket client: read a command line, then write the document chunk by chunk as the socket
// takes it, then close.
import JSON
import Reactor

final class StatsSession: IOHandler {
    private let connection: StreamConnection<PlainTransport>
    private unowned let server: StatsServer
    private var line: [UInt8] = []
    private var answering = false
    /// An answer comes later (`show swarm`): nothing to write, nothing to close on, until it does.
    private var waiting = false
    /// Rows still to describe for `show conns`, and how far we got.
    private var rows: [ConnectionDescribing] = []
    private var nextRow = 0
    private var writer = JSONWriter(reservingCapacity: 16 * 1024)
    private static let batch = 256
    private static let maxLine = 1024

    init(fd: FileDescriptor, server: StatsServer) {
        connection = StreamConnection(transport: PlainTransport(fd: fd), loop: server.loop, writable: false)
        self.server = server
    }

    func start() throws {
        try connection.register(self)
        connection.deadline(after: server.deadline) { [unowned self] in self.close() }
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        connection.note(events)
        if !answering { readCommand() }
        if answering && !waiting { pumpOutput() }
    }

    private func readCommand() {
        var chunk = [UInt8](repeating: 0, count: 512)
        while connection.readable && !answering {
            let r = chunk.withUnsafeMutableBytes { connection.transport.read(into: $0) }
            switch r {
            case .bytes(let n):
                line.append(contentsOf: chunk[0..<n])
                if let nl = line.firstIndex(of: 10) {
                    answer(String(decoding: line[0..<nl], as: UTF8.self))
                } else if line.count > StatsSession.maxLine {
                    answer("")
                }
            case .wouldBlock: connection.readable = false
            case .eof:
                // A client may send the command without a newline and shut down its side.
                if line.isEmpty { close() } else { answer(String(decoding: line, as: UTF8.self)) }
                return
            case .error:
                close()
                return
            }
        }
    }

    private func answer(_ text: String) {
        answering = true
        connection.writable = true
        server.commands &+= 1
        let provider = server.provider
        switch StatsCommand.parse(text) {
        case .help:
            writer.raw(StatsCommand.helpJSON)
        case .showInfo:
            provider.writeInfo(into: &writer)
        case .showStats:
            provider.writeStats(into: &writer)
        case .showConfigErrors:
            provider.writeConfigErrors(into: &writer)
        case .showMetrics:
            provider.writeMetrics(into: &writer)
        case .showDNSClients:
            provider.writeDNSClients(into: &writer)
        case .showSwarm:
            waiting = true
            provider.answerSwarm { [weak self] bytes in
                guard let self, !self.connection.isClosed else { return }
                self.waiting = false
                self.connection.enqueue(bytes + [0x0A])
                self.pumpOutput()
            }
            return
        case .showConns:
            rows = provider.connectionSnapshot()
            writer.beginObject()
            writer.field("count", rows.count)
            writer.key("conns")
            writer.beginArray()
            if rows.isEmpty { finishConns() }
        case .unknown(let what):
            writer.beginObject()
            writer.field("error", what.isEmpty ? "empty command; try help" : "unknown command: \(what); try help")
            writer.endObject()
        }
        if rows.isEmpty { writer.raw("\n") }
        connection.enqueue(writer.takeBytes())
    }

    private func finishConns() {
        writer.endArray()
        writer.endObject()
    }

    /// Sends what is buffered; refills from the remaining `show conns` rows when the buffer is out.
    private func pumpOutput() {
        while true {
            switch connection.flush() {
            case .blocked: return
            case .failed: return close()
            case .drained: break
            }
            guard nextRow < rows.count else { return close() }
            let end = min(nextRow + StatsSession.batch, rows.count)
            let now = server.loop.now
            for i in nextRow..<end { rows[i].describe(into: &writer, now: now) }
            nextRow = end
            if nextRow == rows.count {
                finishConns()
                writer.raw("\n")
            }
            connection.enqueue(writer.takeBytes())
        }
    }

    func close() {
        guard connection.close() else { return }
        rows = []
        server.ended(self)
    }
}
