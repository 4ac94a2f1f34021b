import Stats

/// `stoep stats`: the CLI lives in the Stats module.
func statsCommand(_ args: [String]) -> Int32 {
    StatsCLI.run(arguments: args)
}
