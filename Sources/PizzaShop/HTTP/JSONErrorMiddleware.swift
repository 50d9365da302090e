import Foundation
import Hummingbird
import Logging
import Outbox

/// Turns every error into the JSON error shape; a database or other internal error becomes a
/// generic 500 body and is logged with its detail, never shown.
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PizzaShopError {
            let status = HTTPResponse.Status(error.code)
            if status.code >= 500 {
                context.logger.info("request failed", metadata: ["error": "\(error)"])
            }
            return Self.response(status: status, code: error.code.rawValue, message: error.message, field: error.field)
        } catch let error as OutboxError where error.code == .unavailable || error.code == .deadlineExceeded {
            // The database went away or did not answer in time: nothing is known to have happened,
            // and the client may try again (with its Idempotency-Key, to be safe).
            context.logger.info("request failed", metadata: ["error": "\(error)"])
            return Self.response(
                status: .serviceUnavailable,
                code: PizzaShopError.Code.unavailable.rawValue,
                message: "the database is not available; try again",
                field: nil
            )
        } catch let error as HTTPResponseError {
            let status = error.status
            let code: PizzaShopError.Code =
                switch status {
                case .notFound: .notFound
                case .methodNotAllowed: .methodNotAllowed
                case .contentTooLarge: .bodyTooLarge
                case .unsupportedMediaType: .unsupportedMediaType
                default: status.code >= 500 ? .internalError : .badRequest
                }
            let message = (error as? HTTPError)?.body ?? status.reasonPhrase
            return Self.response(status: status, code: code.rawValue, message: message, field: nil)
        } catch {
            context.logger.info("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return Self.response(
                status: .internalServerError,
                code: PizzaShopError.Code.internalError.rawValue,
                message: "internal error",
                field: nil
            )
        }
    }

    package static func response(status: HTTPResponse.Status, code: String, message: String, field: String?) -> Response {
        let body = ErrorBody(error: .init(code: code, message: message, field: field))
        let data = (try? PizzaJSON.encoder().encode(body)) ?? Data(#"{"error":{"code":"internal_error","message":"internal error"}}"#.utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

extension HTTPResponse.Status {
    /// The one place where the shop's error codes become HTTP statuses.
    package init(_ code: PizzaShopError.Code) {
        self =
            switch code {
            case .malformedJSON, .invalidParameter, .badRequest: .badRequest
            case .missingField, .wrongType, .invalidValue: .unprocessableContent
            case .unsupportedMediaType: .unsupportedMediaType
            case .bodyTooLarge: .contentTooLarge
            case .notFound: .notFound
            // A reused idempotency key is a conflict with the server's state, not a bad request:
            // the body is valid, and would be accepted under another key.
            case .conflict, .idempotencyKeyReused: .conflict
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .methodNotAllowed: .methodNotAllowed
            case .unavailable: .serviceUnavailable
            default: .internalServerError
            }
    }
}

/// A JSON response with the shop's encoder.
package func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try PizzaJSON.encoder().encode(value)
    return Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(bytes: data))
    )
}

/// An OpenAPI document as the JSON response of `GET /openapi.json`.
func openAPIResponse(_ document: String) -> Response {
    Response(
        status: .ok,
        headers: [.contentType: "application/json; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: document))
    )
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
