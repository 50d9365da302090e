import HTTPTypes

/// Every error the pizza shop shows a client: a stable code, a safe message, the offending field,
/// and the HTTP status. The underlying error is for logs only and never reaches a response body.
public struct PizzaShopError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, Codable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let malformedJSON = Code(rawValue: "malformed_json")
        public static let missingField = Code(rawValue: "missing_field")
        public static let wrongType = Code(rawValue: "wrong_type")
        public static let invalidValue = Code(rawValue: "invalid_value")
        public static let unsupportedMediaType = Code(rawValue: "unsupported_media_type")
        public static let bodyTooLarge = Code(rawValue: "body_too_large")
        public static let notFound = Code(rawValue: "not_found")
        public static let conflict = Code(rawValue: "conflict")
        public static let idempotencyKeyReused = Code(rawValue: "idempotency_key_reused")
        public static let unauthorized = Code(rawValue: "unauthorized")
        public static let methodNotAllowed = Code(rawValue: "method_not_allowed")
        public static let badRequest = Code(rawValue: "bad_request")
        public static let unavailable = Code(rawValue: "unavailable")
        public static let internalError = Code(rawValue: "internal_error")
    }

    public var code: Code
    public var message: String
    public var field: String?
    public var status: HTTPResponse.Status
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, field: String? = nil, status: HTTPResponse.Status = .badRequest, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.status = status
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let field { text += " (field \(field))" }
        if let underlying { text += " — \(String(reflecting: underlying))" }
        return text
    }

    static func invalid(_ field: String, _ message: String) -> PizzaShopError {
        PizzaShopError(.invalidValue, message, field: field, status: .unprocessableContent)
    }
}

/// The JSON body of every error response: `{"error":{"code","message","field"}}`.
struct ErrorBody: Codable, Sendable {
    struct Detail: Codable, Sendable {
        var code: String
        var message: String
        var field: String?
    }

    var error: Detail
}
