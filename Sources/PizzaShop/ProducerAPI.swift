import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The producer API: `POST /pizza`, `GET /pizza/{id}`, `/healthz`, `/readyz`.
public struct ProducerAPI: Sendable {
    /// Largest accepted request body.
    public static let maxBodySize = 64 * 1024

    let repository: any PizzaOrderRepository

    public init(repository: any PizzaOrderRepository) {
        self.repository = repository
    }

    /// The routes, with JSON errors for everything including unknown paths.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        router.post("pizza") { request, context in try await create(request, context: context) }
        router.get("pizza/{id}") { _, context in try await find(context: context) }
        router.get("healthz") { _, _ in try jsonResponse(["status": "ok"]) }
        router.get("readyz") { _, context in
            do {
                try await repository.checkReady()
                return try jsonResponse(["status": "ready"])
            } catch {
                context.logger.info("not ready", metadata: ["error": "\(String(reflecting: error))"])
                throw PizzaShopError(.unavailable, "the database does not answer", status: .serviceUnavailable, underlying: error)
            }
        }
        return router
    }

    func create(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let contentType = request.headers[.contentType],
              let mediaType = MediaType(from: contentType), mediaType.isType(.applicationJson)
        else {
            throw PizzaShopError(.unsupportedMediaType, "Content-Type must be application/json", status: .unsupportedMediaType)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodySize)
        } catch {
            throw PizzaShopError(.bodyTooLarge, "the body is larger than \(Self.maxBodySize) bytes", status: .contentTooLarge, underlying: error)
        }
        let new = try NewPizzaOrder.parse(json: body.readableBytesView)
        var headers: [String: String] = [:]
        if let traceparent = request.headers[.traceparent] { headers["traceparent"] = traceparent }
        let (order, eventID) = try await repository.create(new, headers: headers)
        context.logger.info("order accepted", metadata: [
            "order.id": "\(order.id.uuidString.lowercased())",
            "outbox.event.id": "\(eventID.uuidString.lowercased())",
        ])
        return try jsonResponse(OrderResponse(order: order, eventID: eventID), status: .created)
    }

    func find(context: BasicRequestContext) async throws -> Response {
        let text = context.parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text) else {
            throw PizzaShopError(.invalidValue, "id must be a UUID", field: "id", status: .badRequest)
        }
        guard let view = try await repository.find(id: id) else {
            throw PizzaShopError(.notFound, "no order with id \(id.uuidString.lowercased())", status: .notFound)
        }
        return try jsonResponse(OrderResponse(view: view))
    }
}

extension HTTPField.Name {
    static let traceparent = HTTPField.Name("traceparent")!
}

/// The order as the API returns it: its fields, `event_id`, and on reads the event's state.
struct OrderResponse: Encodable {
    var order: PizzaOrder
    var eventID: UUID
    var status: String?
    var attempts: Int?
    var lastError: String?
    var publishedAt: Date?

    init(order: PizzaOrder, eventID: UUID) {
        self.order = order
        self.eventID = eventID
    }

    init(view: PizzaOrderView) {
        self.order = view.order
        self.eventID = view.eventID
        self.status = view.status
        self.attempts = view.attempts
        self.lastError = view.lastError
        self.publishedAt = view.publishedAt
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", status, attempts, lastError = "last_error", publishedAt = "published_at"
    }

    func encode(to encoder: any Encoder) throws {
        try order.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID.uuidString.lowercased(), forKey: .eventID)
        if let status {
            try container.encode(status, forKey: .status)
            try container.encode(attempts, forKey: .attempts)
            // Explicit nulls: the fields exist on every read.
            try container.encode(lastError, forKey: .lastError)
            try container.encode(publishedAt, forKey: .publishedAt)
        }
    }
}
