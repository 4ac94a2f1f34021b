// StatsCLI: `stoep stats [--stats-socket PATH] [--json] [--watch] [--interval S] [--count N] [COMMAND...]`.
//
// Queries the running stoep over its stats socket and prints the answer: a text view by default, the raw
// JSON document with --json. --watch repeats every --interval seconds (default 2), clearing the screen
// between frames (with --json: one document per line, no clearing), --count N stops after N frames.
// Exit status: 0 success; 1 when the socket cannot be reached, the server answers with an error document
// or with something that is not JSON; 2 for a usage error.

import JSON
import Reactor

public enum StatsCLI {
    public static let usage = """
        usage: stoep stats [--stats-socket PATH] [--json] [--watch] [--interval S] [--count N] [--swarm] [COMMAND...]
          COMMAND      help | show info | show stats | show conns | show config-errors | show dns-clients | show swarm
                       (default: show stats)
          --swarm      every node of the swarm (show swarm): totals and one row per node, down ones with the reason
          --json       print the raw JSON document
          --watch      repeat until interrupted (or --count N frames); counters show per-second rates
          --interval S seconds between frames (default 2)
          --count N    stop after N frames
          --stats-socket PATH  default: $RUNTIME_DIRECTORY/stoep.sock, $XDG_RUNTIME_DIR/stoep.sock, ./stoep.sock

        """

    /// ANSI: cursor home, then erase the whole screen.
    static let clearScreen = "\u{1B}[H\u{1B}[2J"

    struct Options: Equatable {
        var socketFlag: String?
        var json = false
        var watch = false
        var intervalSeconds = 2.0
        var count: Int?
        var words: [String] = []
        var swarm = false
        var showUsage = false
    }

    /// Entry point for the executable: `arguments` are the words after `stoep stats`.
    public static func run(arguments: [String]) -> Int32 {
        run(
            arguments: arguments,
            environment: ProcessEnvironment.current(),
            // A closed pipe: nothing sensible left to report to.
            output: { FileDescriptor.standardOutput.writeAll(Array($0.utf8)) },
            errorOutput: { FileDescriptor.standardError.writeAll(Array($0.utf8)) },
            sleep: sleep(seconds:)
        )
    }

    /// The same with its surroundings passed in, so tests can capture output and skip the sleeping.
    public static func run(
        arguments: [String],
        environment: [String: String],
        output: (String) -> Void,
        errorOutput: (String) -> Void,
        sleep: (Double) -> Void
    ) -> Int32 {
        let options: Options
        switch parse(arguments) {
        case .success(let parsed): options = parsed
        case .failure(let problem):
            errorOutput("stoep stats: \(problem.message)\n" + usage)
            return 2
        }
        if options.showUsage {
            output(usage)
            return 0
        }
        let path = StatsSocketPath.resolve(flag: options.socketFlag, environment: environment)
        let commandLine = options.words.isEmpty ? StatsCommand.showStats.line : options.words.joined(separator: " ")
        let command = StatsCommand.parse(commandLine)
        let frames = options.watch ? options.count : 1
        var previousStats: JSONValue?
        var frame = 0
        while frames.map({ frame < $0 }) ?? true {
            if frame > 0 { sleep(options.intervalSeconds) }
            frame += 1
            let raw: [UInt8]
            let document: JSONValue
            do {
                // `show swarm` waits for the nodes ([cluster] timeout, 5 s at most) before it answers.
                raw = try StatsClient.query(socketPath: path, command: commandLine,
                                            timeoutSeconds: command == .showSwarm ? 2 * StatsClient.defaultTimeoutSeconds : StatsClient.defaultTimeoutSeconds)
                document = try JSONParser.parse(raw)
            } catch let error as StatsClientError {
                errorOutput("stoep stats: \(error)\n")
                return 1
            } catch {
                errorOutput("stoep stats: stats socket \(path) answered with invalid JSON: \(error)\n")
                return 1
            }
            if options.json {
                var text = String(decoding: raw, as: UTF8.self)
                if !text.hasSuffix("\n") { text += "\n" }
                output(text)
            } else if document["error"] == nil {
                var text = options.watch ? clearScreen : ""
                if command == .showStats {
                    // The header is a nicety: a failing `show info` must not hide the stats.
                    let info = (try? StatsClient.query(socketPath: path, command: StatsCommand.showInfo.line))
                        .flatMap { try? JSONParser.parse($0) }
                        .flatMap { $0["error"] == nil ? $0 : nil }
                    text += options.watch
                        ? StatsView.renderWatch(previous: previousStats, current: document, info: info,
                                                intervalSeconds: options.intervalSeconds)
                        : StatsView.render(stats: document, info: info)
                    previousStats = document
                } else {
                    text += DocumentView.render(command: command, document: document)
                }
                output(text)
            }
            if let message = document["error"] {
                errorOutput("stoep stats: server error: \(message.stringValue ?? message.jsonText)\n")
                return 1
            }
        }
        return 0
    }

    struct UsageProblem: Error, Equatable {
        var message: String
    }

    static func parse(_ arguments: [String]) -> Result<Options, UsageProblem> {
        var options = Options()
        var index = 0
        // Returns the value of a "--flag VALUE" or "--flag=VALUE" option and advances past it.
        func value(of flag: String, inline: String?) -> String? {
            if let inline { return inline }
            index += 1
            return index < arguments.count ? arguments[index] : nil
        }
        while index < arguments.count {
            let argument = arguments[index]
            var name = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            switch name {
            case "--stats-socket":
                guard let path = value(of: name, inline: inline), !path.isEmpty else {
                    return .failure(UsageProblem(message: "--stats-socket needs a path"))
                }
                options.socketFlag = path
            case "--json": options.json = true
            case "--swarm": options.swarm = true
            case "--watch": options.watch = true
            case "--interval":
                guard let text = value(of: name, inline: inline), let seconds = Double(text),
                      seconds.isFinite, seconds > 0, seconds <= 86_400 else {
                    return .failure(UsageProblem(message: "--interval needs a number of seconds above 0"))
                }
                options.intervalSeconds = seconds
            case "--count":
                guard let text = value(of: name, inline: inline), let count = Int(text), count > 0 else {
                    return .failure(UsageProblem(message: "--count needs a whole number above 0"))
                }
                options.count = count
            case "-h", "--help": options.showUsage = true
            default:
                if argument.hasPrefix("-") && argument.count > 1 {
                    return .failure(UsageProblem(message: "unknown option \(argument)"))
                }
                options.words.append(argument)
            }
            index += 1
        }
        if options.swarm {
            guard options.words.isEmpty else { return .failure(UsageProblem(message: "--swarm is `show swarm`: give no other command")) }
            options.words = ["show", "swarm"]
        }
        return .success(options)
    }

    /// Sleeps for `seconds`, resuming after signal interruptions with the time that was left.
    static func sleep(seconds: Double) {
        sleepBlocking(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
    }

}
