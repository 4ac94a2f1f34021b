/// Compiles one regex at run time with Swift's Regex and matches it once; returns the capture count.
func useSwiftRegex() -> Int {
    let pattern = "^(?<host>[a-z0-9-]+)\\.example\\.(com|org)$"
    guard let regex = try? Regex(pattern) else { return -1 }
    guard let match = "api.example.com".wholeMatch(of: regex) else { return 0 }
    return match.output.count
}
