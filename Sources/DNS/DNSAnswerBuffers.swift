// Buffers a listener lends to DNSService.handle for one query at a time, so that a local or cached answer
// allocates nothing once they have grown to the sizes its traffic needs (issue 18): the query's bytes, its
// lowercased question name, and the answer being written. Their capacity stays from query to query.
//
// Why this is safe with copy-on-write arrays: a parsed DNSQuery holds the query and name buffers (its
// `packet` and its question's name are them), and an answer is the answer buffer handed out. Each is
// emptied with `removeAll(keepingCapacity:)` before reuse, which reuses the storage only when nothing else
// holds it — otherwise it allocates a fresh one and the holder keeps its bytes untouched. So a query that
// waits for an upstream keeps its own bytes either way; `DNSService.handle` gives it exact-size copies
// (`DNSQuery.owningItsBytes`) so the listener's buffers stay its own (that path allocates; the
// steady-state answers do not).

struct DNSAnswerBuffers {
    /// The query as received (a UDP query is copied out of its receive slot: its answer is written there).
    var query: [UInt8] = []
    /// The question's name, lowercased (DNSName.parse(_:at:into:)).
    var name: [UInt8] = []
    /// Where the answer is written (LocalResponse, DNSUpstreamAnswer.shape); give an answer back with
    /// `recycle` once it has been sent or copied.
    var answer: [UInt8] = []

    /// Copies `bytes` into the query buffer, replacing the previous query.
    mutating func setQuery(_ bytes: UnsafeRawBufferPointer) {
        query.removeAll(keepingCapacity: true)
        query.append(contentsOf: bytes)
    }

    /// Copies `bytes` into the query buffer, replacing the previous query.
    mutating func setQuery(_ bytes: ArraySlice<UInt8>) {
        query.removeAll(keepingCapacity: true)
        query.append(contentsOf: bytes)
    }

    /// Takes back an answer `handle` returned, so its storage writes the next one.
    mutating func recycle(_ reply: consuming [UInt8]) {
        answer = consume reply
    }

    /// The answer buffer, emptied, for a writer to fill; the caller returns the filled array as the answer
    /// (and the listener recycles it).
    mutating func takeAnswer() -> [UInt8] {
        var out: [UInt8] = []
        swap(&out, &answer)
        out.removeAll(keepingCapacity: true)
        return out
    }
}
