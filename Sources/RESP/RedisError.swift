/// Every failure of the Redis client, with a message safe to log.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with an error reply (`-ERR …`, `-WRONGTYPE …`, `-NOAUTH …`).
    case server(String)
    /// The bytes from the server are not valid RESP2.
    case protocolViolation(String)
    /// The connection closed before the reply arrived.
    case connectionClosed
    /// No reply within the command timeout; the connection is closed.
    case timeout
    /// The URL could not be understood.
    case invalidURL(String)
    /// Could not connect, or a connect attempt failed so recently that the next one is not due yet.
    case connectFailed(String)

    public var description: String {
        switch self {
        case .server(let message): "redis error reply: \(message)"
        case .protocolViolation(let message): "redis protocol violation: \(message)"
        case .connectionClosed: "redis connection closed"
        case .timeout: "redis command timed out"
        case .invalidURL(let message): "invalid redis URL: \(message)"
        case .connectFailed(let message): "cannot connect to redis: \(message)"
        }
    }
}
