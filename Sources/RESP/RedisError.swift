/// Every failure of the Redis client: a stable code and a message safe to log (never a password).
/// Codes are extensible, like postgres-nio's `PSQLError.Code`.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a stable code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code as text, stable across versions.
        public let rawValue: String
        /// A code from its text.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code as text.
        public var description: String { rawValue }

        /// The server answered with an error reply (`-ERR …`, `-WRONGTYPE …`, `-NOAUTH …`).
        public static let server = Code(rawValue: "server")
        /// The bytes from the server are not valid RESP2.
        public static let protocolViolation = Code(rawValue: "protocol_violation")
        /// The connection closed before the reply arrived.
        public static let connectionClosed = Code(rawValue: "connection_closed")
        /// No reply within the command timeout; the connection is closed.
        public static let timeout = Code(rawValue: "timeout")
        /// The URL could not be understood.
        public static let invalidURL = Code(rawValue: "invalid_url")
        /// Could not connect, or a connect attempt failed so recently that the next one is not due yet.
        public static let connectFailed = Code(rawValue: "connect_failed")
        /// A cluster with slots that no reachable master serves (during a failover, or misconfigured).
        public static let clusterDown = Code(rawValue: "cluster_down")
    }

    /// What went wrong, for callers to switch on.
    public var code: Code
    /// The server's error text for `.server`, otherwise what happened.
    public var message: String

    /// An error with its code and message.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// An error reply of the server.
    public static func server(_ message: String) -> RedisError { RedisError(code: .server, message: message) }
    /// Bytes that are not RESP2.
    public static func protocolViolation(_ message: String) -> RedisError { RedisError(code: .protocolViolation, message: message) }
    /// The connection closed before the reply arrived.
    public static let connectionClosed = RedisError(code: .connectionClosed, message: "redis connection closed")
    /// No reply within the command timeout.
    public static let timeout = RedisError(code: .timeout, message: "redis command timed out")
    /// A URL that could not be understood.
    public static func invalidURL(_ message: String) -> RedisError { RedisError(code: .invalidURL, message: message) }
    /// A failed connect, or one not yet due again.
    public static func connectFailed(_ message: String) -> RedisError { RedisError(code: .connectFailed, message: message) }

    /// A readable sentence for logs.
    public var description: String {
        switch code {
        case .server: "redis error reply: \(message)"
        case .protocolViolation: "redis protocol violation: \(message)"
        case .invalidURL: "invalid redis URL: \(message)"
        case .connectFailed: "cannot connect to redis: \(message)"
        case .clusterDown: "redis cluster unavailable: \(message)"
        default: message
        }
    }
}
