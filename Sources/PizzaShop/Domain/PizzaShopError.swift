/// Every error of the pizza shop: a stable code, a message safe to show to a client, the offending
/// field, and the underlying error for logs only (it never reaches a response body). Domain code and
/// repositories throw it without any notion of HTTP; the HTTP layer alone maps codes to statuses
/// (`HTTPResponse.Status(_:)` in `JSONErrorMiddleware.swift`).
public struct PizzaShopError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable code; extensible like postgres-nio's `PSQLError.Code`.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The body is not JSON, or not a JSON object.
        public static let malformedJSON = Code(rawValue: "malformed_json")
        /// A required field of the body is absent.
        public static let missingField = Code(rawValue: "missing_field")
        /// A field of the body has the wrong JSON type.
        public static let wrongType = Code(rawValue: "wrong_type")
        /// A field of the body has a value the shop refuses.
        public static let invalidValue = Code(rawValue: "invalid_value")
        /// A path, query or header parameter is malformed.
        public static let invalidParameter = Code(rawValue: "invalid_parameter")
        /// The request's content type is not JSON.
        public static let unsupportedMediaType = Code(rawValue: "unsupported_media_type")
        /// The request's body exceeds the limit.
        public static let bodyTooLarge = Code(rawValue: "body_too_large")
        /// No such order, event or route.
        public static let notFound = Code(rawValue: "not_found")
        /// The change is not allowed in the current state (a status transition, a retry of a non-failed event).
        public static let conflict = Code(rawValue: "conflict")
        /// An idempotency key was reused with another request.
        public static let idempotencyKeyReused = Code(rawValue: "idempotency_key_reused")
        /// The admin token is missing or wrong.
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// Signed in, but this request is not allowed (a read-only dashboard, a missing CSRF token).
        public static let forbidden = Code(rawValue: "forbidden")
        /// The route exists, the method does not.
        public static let methodNotAllowed = Code(rawValue: "method_not_allowed")
        /// Any other malformed request.
        public static let badRequest = Code(rawValue: "bad_request")
        /// A dependency (the database, the broker) does not answer in time.
        public static let unavailable = Code(rawValue: "unavailable")
        /// An event arrived before its order's previous event took effect.
        public static let outOfOrder = Code(rawValue: "out_of_order")
        /// The simulated payment or delivery failed (the relay retries the event).
        public static let processingFailed = Code(rawValue: "processing_failed")
        /// A bug or a broken invariant; details are logged, not shown.
        public static let internalError = Code(rawValue: "internal_error")
    }

    public var code: Code
    public var message: String
    public var field: String?
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, field: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let field { text += " (field \(field))" }
        if let underlying { text += " — \(String(reflecting: underlying))" }
        return text
    }

    /// A body field with a refused value.
    static func invalid(_ field: String, _ message: String) -> PizzaShopError {
        PizzaShopError(.invalidValue, message, field: field)
    }

    /// A malformed path, query or header parameter.
    package static func invalidParameter(_ name: String, _ message: String) -> PizzaShopError {
        PizzaShopError(.invalidParameter, message, field: name)
    }
}
