// Why a request to the Docker Engine API failed: the socket (connect, send, receive, timeout) or an
// answer that is not a readable HTTP response (HTTPResponseReadError's description).

public struct DockerResponseError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
