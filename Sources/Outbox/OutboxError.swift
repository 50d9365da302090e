/// The one error type of the engine and its drivers (`OutboxPostgres`, `OutboxSQLite`,
/// `OutboxRedis`): a stable code, a message safe to show, and the underlying error for logs.
/// Errors of the database or broker client a driver uses pass through unchanged.
public struct OutboxError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable code; extensible like postgres-nio's `PSQLError.Code`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code as text, stable across versions.
        public let rawValue: String
        /// A code from its text.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code as text.
        public var description: String { rawValue }

        /// A table or schema name is not a plain SQL identifier.
        public static let invalidIdentifier = Code(rawValue: "invalid_identifier")
        /// A database URL could not be understood.
        public static let invalidURL = Code(rawValue: "invalid_database_url")
        /// A schema migration failed; nothing of it was applied.
        public static let migrationFailed = Code(rawValue: "migration_failed")
        /// A message handed to an inbox is not a valid event (its id is not a UUID).
        public static let invalidEvent = Code(rawValue: "invalid_event")
        /// A call's arguments do not fit what it was declared with (a procedure's parameter count, say).
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// A stored row has an unexpected shape.
        public static let corruptRow = Code(rawValue: "corrupt_row")
        /// An event came before its aggregate's previous event took effect.
        public static let outOfOrder = Code(rawValue: "out_of_order")
        /// A batch handler left a message out of the ones it accepted; the broker redelivers it.
        public static let messageNotAccepted = Code(rawValue: "message_not_accepted")
        /// The broker took messages but could not confirm them as durable (too few replicas).
        public static let publishNotConfirmed = Code(rawValue: "publish_not_confirmed")
        /// The database (or broker) cannot be reached or lost the connection; nothing is known to
        /// have happened, and the call may be tried again.
        public static let unavailable = Code(rawValue: "unavailable")
        /// A call passed its deadline; its connection was closed, and what it did is unknown.
        public static let deadlineExceeded = Code(rawValue: "deadline_exceeded")
    }

    /// What went wrong, for callers to switch on.
    public var code: Code
    /// A sentence safe to show, without secrets.
    public var message: String
    /// The error that caused this one, for logs only.
    public var underlying: (any Error)?

    /// An error with its code, a safe message and, optionally, its cause.
    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The message and code, with the cause when there is one (for logs).
    public var description: String {
        if let underlying { return "\(message) (\(code.rawValue)): \(String(reflecting: underlying))" }
        return "\(message) (\(code.rawValue))"
    }
}
