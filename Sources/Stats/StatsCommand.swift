// StatsCommand: the one command line a stats-socket client sends (protocol in docs/stats.md).
//
// A line is split into words on spaces and tabs; leading/trailing whitespace and a trailing "\n" or "\r\n"
// are ignored, and runs of blanks count as one. Words are case-sensitive ("show info", not "SHOW INFO"),
// matching HAProxy's stats socket. Anything else is `.unknown` carrying the trimmed line for the error.
import JSON

public enum StatsCommand: Equatable, Sendable {
    case help
    case showInfo
    case showStats
    case showConns
    case showConfigErrors
    case showDNSClients
    case showMetrics
    /// Every node of the swarm asked over the cluster channel: totals and a row per node (docs/cluster.md).
    case showSwarm
    case unknown(String)

    /// Longest command line the server needs to buffer; more without a newline is answered as an unknown
    /// command (docs/stats.md). The longest valid command is 18 bytes; the rest is slack for blanks.
    public static let maxLineLength = 1024

    /// Every known command in the order `help` lists them.
    public static let all: [StatsCommand] = [.help, .showInfo, .showStats, .showConns, .showConfigErrors, .showDNSClients, .showMetrics, .showSwarm]

    /// Parses one command line. Only the text before the first "\n" counts.
    public static func parse(_ line: String) -> StatsCommand {
        parse(bytes: Array(line.utf8))
    }

    /// Parses raw bytes as read from the socket (they need not be valid UTF-8: invalid input becomes
    /// `.unknown` with replacement characters, never a crash).
    public static func parse<Bytes: Collection>(bytes: Bytes) -> StatsCommand where Bytes.Element == UInt8 {
        var words: [String] = []
        var current: [UInt8] = []
        for byte in bytes {
            if byte == 0x0A { break }
            if byte == 0x20 || byte == 0x09 || byte == 0x0D {
                if !current.isEmpty {
                    words.append(String(decoding: current, as: UTF8.self))
                    current.removeAll(keepingCapacity: true)
                }
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty {
            words.append(String(decoding: current, as: UTF8.self))
        }
        switch words {
        case ["help"]: return .help
        case ["show", "info"]: return .showInfo
        case ["show", "stats"]: return .showStats
        case ["show", "conns"]: return .showConns
        case ["show", "config-errors"]: return .showConfigErrors
        case ["show", "dns-clients"]: return .showDNSClients
        case ["show", "metrics"]: return .showMetrics
        case ["show", "swarm"]: return .showSwarm
        default: return .unknown(words.joined(separator: " "))
        }
    }

    /// The canonical command text, without the newline (what a client sends).
    public var line: String {
        switch self {
        case .help: return "help"
        case .showInfo: return "show info"
        case .showStats: return "show stats"
        case .showConns: return "show conns"
        case .showConfigErrors: return "show config-errors"
        case .showDNSClients: return "show dns-clients"
        case .showMetrics: return "show metrics"
        case .showSwarm: return "show swarm"
        case .unknown(let text): return text
        }
    }

    /// One-line description for `help`.
    public var summary: String {
        switch self {
        case .help: return "list the commands"
        case .showInfo: return "process information: version, uptime, backend, pid, memory, config source"
        case .showStats: return "all counters, gauges and latency histograms"
        case .showConns: return "open connections with addresses, state, bytes and age"
        case .showConfigErrors: return "problems found while loading the configuration"
        case .showDNSClients: return "DNS queries per client (blocked, forwarded, cached, local) and the top names"
        case .showMetrics: return "the Prometheus text of metrics.prometheus, summed over the workers ({\"text\": …})"
        case .showSwarm: return "every node of the swarm over the cluster channel: totals and one row per node (up or down, with the reason)"
        case .unknown: return ""
        }
    }

    /// The `help` document: {"commands":[{"command":"help","description":"…"},…]}.
    public static let helpJSON: String = {
        var writer = JSONWriter(reservingCapacity: 512)
        writer.beginObject()
        writer.key("commands")
        writer.beginArray()
        for command in StatsCommand.all {
            writer.beginObject()
            writer.field("command", command.line)
            writer.field("description", command.summary)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }()

    /// Writes the error document {"error":"unknown command 'x'; try 'help'"} for an unknown command.
    public static func writeUnknownCommandError(_ text: String, into writer: inout JSONWriter) {
        writer.beginObject()
        let shown = text.isEmpty ? "empty command" : "unknown command '\(text)'"
        writer.field("error", shown + "; try 'help'")
        writer.endObject()
    }
}
