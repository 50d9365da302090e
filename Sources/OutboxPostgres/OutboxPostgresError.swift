/// Errors of the PostgreSQL driver: a stable code, a message safe to show, and the underlying error
/// for logs only.
public struct OutboxPostgresError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let invalidURL = Code(rawValue: "invalid_database_url")
        public static let migrationFailed = Code(rawValue: "migration_failed")
        public static let unavailable = Code(rawValue: "database_unavailable")
        public static let invalidEvent = Code(rawValue: "invalid_event")
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "\(message) (\(code.rawValue)): \(String(reflecting: underlying))" }
        return "\(message) (\(code.rawValue))"
    }
}
