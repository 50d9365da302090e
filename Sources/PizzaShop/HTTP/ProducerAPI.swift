import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Outbox
import Tracing
import W3CTraceContext

/// The producer API: `POST /pizza`, `GET|PATCH /pizza/{id}`, `/healthz`, `/readyz`, and `/admin/outbox…`
/// when an admin token is configured.
public struct ProducerAPI: Sendable {
    /// Largest accepted request body.
    public static let maxBodySize = 64 * 1024

    let repository: any PizzaOrderRepository
    let admin: AdminAPI?
    /// Longest a request waits for the database before it answers 503.
    let databaseTimeout: Duration
    /// How long an `Idempotency-Key` is remembered.
    let idempotencyTTL: Duration
    let metrics: ShopMetrics
    let metricsEndpoint: MetricsEndpoint?

    /// `admin` adds the `/admin/outbox` routes; without it they answer 404.
    public init(
        repository: any PizzaOrderRepository,
        admin: AdminAPI? = nil,
        databaseTimeout: Duration = .seconds(10),
        idempotencyTTL: Duration = .seconds(24 * 3600),
        metrics: ShopMetrics = .disabled,
        metricsEndpoint: MetricsEndpoint? = nil
    ) {
        self.metrics = metrics
        self.metricsEndpoint = metricsEndpoint
        self.repository = repository
        self.admin = admin
        self.databaseTimeout = databaseTimeout
        self.idempotencyTTL = idempotencyTTL
    }

    /// The routes, with JSON errors for everything including unknown paths.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        // A server span per request, continuing an incoming traceparent or starting a trace.
        router.add(middleware: ServerSpanMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        let served = router.addMethodNotAllowed()
        router.post("pizza") { request, context in
            do {
                return try await create(request, context: context)
            } catch let error as PizzaShopError where HTTPResponse.Status(error.code).code < 500 {
                metrics.orderRejected(reason: error.code.rawValue)
                throw error
            }
        }
        router.get("pizza/{id}") { _, context in try await find(context: context) }
        router.patch("pizza/{id}") { request, context in try await changeStatus(request, context: context) }
        router.get("healthz") { _, _ in try jsonResponse(["status": "ok"]) }
        admin?.register(on: router)
        metricsEndpoint?.register(on: router)
        let document = ProducerOpenAPI.document(includingAdmin: admin != nil)
        router.get("openapi.json") { _, _ in openAPIResponse(document) }
        router.get("readyz") { _, context in
            do {
                try await withDeadline(databaseTimeout) { [repository] in try await repository.checkReady() }
                return try jsonResponse(["status": "ready"])
            } catch {
                context.logger.info("not ready", metadata: ["error": "\(String(reflecting: error))"])
                throw PizzaShopError(.unavailable, "the database does not answer", underlying: error)
            }
        }
        served.set(router.routes)
        return router
    }

    func create(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await Self.jsonBody(request)
        let new = try NewPizzaOrder.parse(json: body.readableBytesView)
        let idempotency = try request.headers[.idempotencyKey].map { header throws(PizzaShopError) in
            try IdempotencyKey.parse(header: header, order: new, ttl: idempotencyTTL)
        }
        // The transaction's span is the one the event records: the job and consumers continue it.
        let created = try await withSpan("pizza.order.transaction", ofKind: .client) { [repository, databaseTimeout] span in
            let headers = Self.eventHeaders(request)
            let created = try await withDeadline(databaseTimeout) {
                if let idempotency {
                    return try await repository.create(new, headers: headers, idempotency: idempotency)
                }
                let (order, eventID) = try await repository.create(new, headers: headers)
                return CreatedOrder(order: order, eventID: eventID, replayed: false)
            }
            Self.describe(span, order: created.order.id, event: created.eventID)
            return created
        }
        context.logger.info(
            created.replayed ? "order replayed for its idempotency key" : "order accepted",
            metadata: [
                "order.id": "\(created.order.id.uuidString.lowercased())",
                "outbox.event.id": "\(created.eventID.uuidString.lowercased())",
            ]
        )
        if created.replayed { metrics.orderReplayed() } else { metrics.orderAccepted() }
        // A replay answers 200 with the original order: nothing new was created. The body is
        // `OrderResponse`'s, written directly (see `PizzaOrder.json(eventID:)`).
        return Response(
            status: created.replayed ? .ok : .created,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: created.order.json(eventID: created.eventID)))
        )
    }

    func find(context: BasicRequestContext) async throws -> Response {
        let id = try Self.orderID(context)
        guard let view = try await withDeadline(databaseTimeout, { [repository] in try await repository.find(id: id) }) else {
            throw PizzaOrder.notFound(id)
        }
        return try jsonResponse(OrderResponse(view: view))
    }

    func changeStatus(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let id = try Self.orderID(context)
        let body = try await Self.jsonBody(request)
        let status = try OrderStatus.parsePatch(json: body.readableBytesView)
        let (order, eventID) = try await withSpan("pizza.order.transaction", ofKind: .client) { [repository, databaseTimeout] span in
            let headers = Self.eventHeaders(request)
            let changed = try await withDeadline(databaseTimeout) {
                try await repository.changeStatus(id: id, to: status, headers: headers)
            }
            Self.describe(span, order: id, event: changed.1)
            return changed
        }
        metrics.statusChanged(to: status)
        context.logger.info(
            "order status changed",
            metadata: [
                "order.id": "\(id.uuidString.lowercased())",
                "order.status": "\(status.rawValue)",
                "outbox.event.id": "\(eventID.uuidString.lowercased())",
            ]
        )
        return try jsonResponse(OrderResponse(order: order, eventID: eventID))
    }

    /// The order and the event a transaction span wrote, so a trace viewer finds it by either id.
    static func describe(_ span: any Span, order: UUID, event: UUID) {
        span.attributes["pizza.order.id"] = order.uuidString.lowercased()
        span.attributes["outbox.event.id"] = event.uuidString.lowercased()
    }

    static func orderID(_ context: BasicRequestContext) throws(PizzaShopError) -> UUID {
        guard let id = UUID(uuidString: context.parameters.get("id") ?? "") else {
            throw PizzaShopError.invalidParameter("id", "id must be a UUID")
        }
        return id
    }

    /// The request body, which must be JSON and at most `maxBodySize` bytes.
    static func jsonBody(_ request: Request) async throws -> ByteBuffer {
        guard let contentType = request.headers[.contentType],
            let mediaType = MediaType(from: contentType), mediaType.isType(.applicationJson)
        else {
            throw PizzaShopError(.unsupportedMediaType, "Content-Type must be application/json")
        }
        do {
            return try await request.body.collect(upTo: Self.maxBodySize)
        } catch {
            throw PizzaShopError(.bodyTooLarge, "the body is larger than \(Self.maxBodySize) bytes", underlying: error)
        }
    }

    /// Transport headers the event keeps: the trace context of the transaction's span (which
    /// continues the client's `traceparent`, or started a trace) as the bootstrapped tracer writes
    /// it; without a tracer, the client's `traceparent` as it came, if it is a valid one.
    static func eventHeaders(_ request: Request) -> [String: String] {
        let headers = ServiceContext.current?.traceHeaders ?? [:]
        if !headers.isEmpty { return headers }
        // Only a valid header is kept: anything else is noise a client sent.
        guard let header = request.headers[.traceparent], let parsed = try? TraceContext(traceParentHeaderValue: header) else {
            return [:]
        }
        return ["traceparent": parsed.traceParentHeaderValue]
    }
}

extension HTTPField.Name {
    static let traceparent = HTTPField.Name("traceparent")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}

/// The order as the API returns it: its fields, `event_id` (the event the request wrote, or on
/// reads the latest), and on reads the delivery state of each of its events.
struct OrderResponse: Encodable {
    var order: PizzaOrder
    var eventID: UUID
    var events: [EventState]?

    struct EventState: Encodable {
        var event: OutboxEvent

        enum CodingKeys: String, CodingKey {
            case id, type, status, attempts
            case lastError = "last_error"
            case publishedAt = "published_at"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(event.id.uuidString.lowercased(), forKey: .id)
            try container.encode(event.eventType, forKey: .type)
            try container.encode(event.status.rawValue, forKey: .status)
            try container.encode(event.attempts, forKey: .attempts)
            // Explicit nulls: the fields exist on every read.
            try container.encode(event.lastError, forKey: .lastError)
            try container.encode(event.publishedAt, forKey: .publishedAt)
        }
    }

    init(order: PizzaOrder, eventID: UUID) {
        self.order = order
        self.eventID = eventID
    }

    init(view: PizzaOrderView) {
        self.order = view.order
        self.eventID = view.events.last?.id ?? UUID()
        self.events = view.events.map(EventState.init(event:))
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id"
        case events
    }

    func encode(to encoder: any Encoder) throws {
        try order.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID.uuidString.lowercased(), forKey: .eventID)
        if let events { try container.encode(events, forKey: .events) }
    }
}
