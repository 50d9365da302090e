import Foundation
import HTTPTypes
import Hummingbird
import Outbox

/// Outbox administration on the producer API, behind a bearer token: list events, requeue failed
/// ones, counts. Without a configured token the routes do not exist (404).
public struct AdminAPI: Sendable {
    /// Largest page `GET /admin/outbox` returns.
    public static let maxLimit = 1_000

    let store: any OutboxStore
    let token: String

    public init(store: any OutboxStore, token: String) {
        precondition(!token.isEmpty, "an empty admin token would open the admin routes to anyone")
        self.store = store
        self.token = token
    }

    /// Adds `/admin/outbox…` to `router`.
    public func register(on router: Router<BasicRequestContext>) {
        let group = router.group("admin/outbox").add(middleware: BearerTokenMiddleware(token: token))
        group.get { request, _ in try await list(request) }
        group.get("stats") { _, _ in try jsonResponse(StatsResponse(try await store.stats())) }
        group.post("retry-failed") { request, context in
            let limit = try Self.integer(request, "limit", default: 10_000, range: 1...1_000_000)
            let count = try await store.retryFailed(limit: limit)
            context.logger.info("failed events requeued", metadata: ["outbox.requeued": "\(count)"])
            return try jsonResponse(["requeued": count])
        }
        group.post("{id}/retry") { _, context in
            guard let id = UUID(uuidString: context.parameters.get("id") ?? "") else {
                throw PizzaShopError.invalidParameter("id", "id must be a UUID")
            }
            switch try await store.retry(id: id) {
            case .requeued(let event):
                context.logger.info("failed event requeued", metadata: ["outbox.event.id": "\(id.uuidString.lowercased())"])
                return try jsonResponse(EventResponse(event))
            case .notFound:
                throw PizzaShopError(.notFound, "no outbox event with id \(id.uuidString.lowercased())")
            case .notFailed(let status):
                throw PizzaShopError(.conflict, "the event is \(status.rawValue); only failed events can be retried", field: "id")
            }
        }
    }

    func list(_ request: Request) async throws -> Response {
        let status = try Self.status(request)
        let limit = try Self.integer(request, "limit", default: 100, range: 1...Self.maxLimit)
        let after = try Self.integer(request, "after", default: 0, range: 0...Int.max)
        let events = try await store.list(status: status, limit: limit, afterSeq: Int64(after))
        return try jsonResponse(
            ListResponse(
                events: events.map(EventResponse.init),
                nextAfter: events.count == limit ? events.last?.seq : nil
            )
        )
    }

    /// The `status` query parameter: nil when absent, else one of the outbox's statuses (400 naming it
    /// otherwise, an empty value included).
    package static func status(_ request: Request) throws(PizzaShopError) -> OutboxStatus? {
        guard let text = request.uri.queryParameters["status"] else { return nil }
        guard let status = OutboxStatus(rawValue: String(text)) else {
            let names = OutboxStatus.allCases.map(\.rawValue).joined(separator: ", ")
            throw PizzaShopError.invalidParameter("status", "status must be one of \(names)")
        }
        return status
    }

    /// An integer query parameter within `range`, `fallback` when absent (400 naming it otherwise).
    package static func integer(_ request: Request, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws(PizzaShopError) -> Int {
        guard let text = request.uri.queryParameters[Substring(name)] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw PizzaShopError.invalidParameter(name, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    struct ListResponse: Encodable {
        var events: [EventResponse]
        /// Pass as `after` for the next page; null on the last page.
        var nextAfter: Int64?

        enum CodingKeys: String, CodingKey {
            case events
            case nextAfter = "next_after"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(events, forKey: .events)
            try container.encode(nextAfter, forKey: .nextAfter)
        }
    }
}

/// One outbox event as the admin routes and `pizza outbox list --json` show it.
public struct EventResponse: Encodable, Sendable {
    public var event: OutboxEvent

    public init(_ event: OutboxEvent) { self.event = event }

    enum CodingKeys: String, CodingKey {
        case id, seq
        case aggregateType = "aggregate_type"
        case aggregateID = "aggregate_id"
        case eventType = "event_type"
        case status, attempts
        case lastError = "last_error"
        case availableAt = "available_at"
        case createdAt = "created_at"
        case publishedAt = "published_at"
        case headers, payload
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event.id.uuidString.lowercased(), forKey: .id)
        try container.encode(event.seq, forKey: .seq)
        try container.encode(event.aggregateType, forKey: .aggregateType)
        try container.encode(event.aggregateID, forKey: .aggregateID)
        try container.encode(event.eventType, forKey: .eventType)
        try container.encode(event.status.rawValue, forKey: .status)
        try container.encode(event.attempts, forKey: .attempts)
        try container.encode(event.lastError, forKey: .lastError)
        try container.encode(event.availableAt, forKey: .availableAt)
        try container.encode(event.createdAt, forKey: .createdAt)
        try container.encode(event.publishedAt, forKey: .publishedAt)
        try container.encode(event.headers, forKey: .headers)
        // The stored payload is JSON: shown as JSON, not as a string.
        let payload = (try? JSONDecoder().decode(JSONValue.self, from: Data(event.payload.utf8))) ?? .string(event.payload)
        try container.encode(payload, forKey: .payload)
    }
}

/// Outbox counts as JSON.
public struct StatsResponse: Encodable, Sendable {
    public var stats: OutboxStats

    public init(_ stats: OutboxStats) { self.stats = stats }

    enum CodingKeys: String, CodingKey {
        case pending, completed, failed
        case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stats.pending, forKey: .pending)
        try container.encode(stats.completed, forKey: .completed)
        try container.encode(stats.failed, forKey: .failed)
        try container.encode(stats.oldestPendingAgeSeconds, forKey: .oldestPendingAgeSeconds)
    }
}

/// Lets a request through only with `Authorization: Bearer <token>`; otherwise 401 in the JSON
/// error shape with a `WWW-Authenticate` challenge.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    init(token: String) { self.token = Array(token.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.count > prefix.count, header.lowercased().hasPrefix(prefix.lowercased()),
            Self.constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), token)
        else {
            var response = JSONErrorMiddleware<Context>.response(
                status: .unauthorized,
                code: PizzaShopError.Code.unauthorized.rawValue,
                message: "admin routes need Authorization: Bearer <admin token>",
                field: "Authorization"
            )
            response.headers[.wwwAuthenticate] = #"Bearer realm="pizza-outbox-admin""#
            return response
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so timing does not reveal the token.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
