import Foundation
import Hummingbird
import Logging
import Outbox
import PizzaShop
import ServiceLifecycle

/// The JSON the page reads, and the actions it takes.
struct DashboardAPI: Sendable {
    let sources: DashboardSources
    let sampler: DashboardSampler

    /// The kept samples (the charts) and what the page may show.
    struct Overview: Encodable {
        var samples: [DashboardSample]
        var hasBroker: Bool
        var hasConsumerDatabase: Bool
        var topic: String

        enum CodingKeys: String, CodingKey {
            case samples
            case hasBroker = "has_broker"
            case hasConsumerDatabase = "has_consumer_database"
            case topic
        }
    }

    func overview() -> Overview {
        Overview(samples: sampler.samples, hasBroker: sources.monitor != nil, hasConsumerDatabase: sources.effects != nil, topic: sources.topic)
    }

    /// Server-Sent Events: each sample as it is taken (`event: sample`), and a comment every
    /// sample so that proxies keep the connection open. Ends when the sampler stops.
    func stream() -> Response {
        let updates = sampler.updates()
        let encoder = PizzaJSON.encoder()
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                // A stopping server must not wait for an open page: the stream ends on graceful shutdown.
                for await sample in updates.cancelOnGracefulShutdown() {
                    let json = String(decoding: try encoder.encode(sample), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: "event: sample\ndata: \(json)\n\n"))
                }
                try await writer.finish(nil)
            }
        )
    }

    /// One row of the events table.
    struct EventSummary: Encodable {
        var event: OutboxEvent

        enum CodingKeys: String, CodingKey {
            case id, seq, status, attempts
            case orderID = "order_id"
            case type
            case lastError = "last_error"
            case createdAt = "created_at"
            case publishedAt = "published_at"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(event.id.uuidString.lowercased(), forKey: .id)
            try container.encode(event.seq, forKey: .seq)
            try container.encode(event.status.rawValue, forKey: .status)
            try container.encode(event.attempts, forKey: .attempts)
            try container.encode(event.aggregateID, forKey: .orderID)
            try container.encode(event.eventType, forKey: .type)
            try container.encode(event.lastError, forKey: .lastError)
            try container.encode(event.createdAt, forKey: .createdAt)
            try container.encode(event.publishedAt, forKey: .publishedAt)
        }
    }

    struct EventPage: Encodable {
        var events: [EventSummary]
        /// Pass as `before` for the next (older) page; null on the last page.
        var nextBefore: Int64?

        enum CodingKeys: String, CodingKey {
            case events
            case nextBefore = "next_before"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(events, forKey: .events)
            try container.encode(nextBefore, forKey: .nextBefore)
        }
    }

    /// `GET /api/events?status=&before=&limit=&q=`: newest first; `q` is an event id or an order id.
    func events(_ request: Request) async throws -> EventPage {
        let status = try AdminAPI.status(request)
        let limit = try AdminAPI.integer(request, "limit", default: 50, range: 1...Dashboard.maxLimit)
        // 0 (absent) starts from the newest event.
        let before = try AdminAPI.integer(request, "before", default: 0, range: 0...Int.max)
        if let text = request.uri.queryParameters["q"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard let id = UUID(uuidString: text) else {
                throw PizzaShopError.invalidParameter("q", "q must be an event id or an order id (a UUID)")
            }
            // An event id finds that event; an order id finds the order's events (newest first).
            var found: [OutboxEvent] = []
            if let event = try await sources.store.event(id: id) { found.append(event) }
            found += try await sources.store.events(aggregateID: id.uuidString.lowercased()).reversed()
            let matching = found.filter { status == nil || $0.status == status }
            return EventPage(events: matching.prefix(limit).map(EventSummary.init), nextBefore: nil)
        }
        let events = try await sources.store.recent(status: status, limit: limit, beforeSeq: before == 0 ? nil : Int64(before))
        return EventPage(events: events.map(EventSummary.init), nextBefore: events.count == limit ? events.last?.seq : nil)
    }

    /// An event with its payload and headers, its trace id, and where it took effect.
    struct EventDetail: Encodable {
        var event: EventResponse
        var traceID: String?
        var effects: [Effect]
        var groups: [String]

        struct Effect: Encodable {
            var group: String
            var appliedAt: Date
            var deliveryCount: Int

            enum CodingKeys: String, CodingKey {
                case group
                case appliedAt = "applied_at"
                case deliveryCount = "delivery_count"
            }
        }

        enum CodingKeys: String, CodingKey {
            case event
            case traceID = "trace_id"
            case effects, groups
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(event, forKey: .event)
            try container.encode(traceID, forKey: .traceID)
            try container.encode(effects, forKey: .effects)
            try container.encode(groups, forKey: .groups)
        }
    }

    func event(_ id: UUID) async throws -> EventDetail {
        guard let event = try await sources.store.event(id: id) else {
            throw PizzaShopError(.notFound, "no outbox event with id \(id.uuidString.lowercased())", field: "id")
        }
        let groups = sampler.groups
        let effects = try await sources.effects?.effects(eventIDs: [event.id.uuidString.lowercased()], groups: groups) ?? []
        return EventDetail(
            event: EventResponse(event),
            traceID: Self.traceID(event.headers["traceparent"]),
            effects: effects.map { .init(group: $0.group, appliedAt: $0.appliedAt, deliveryCount: $0.deliveryCount) },
            groups: groups
        )
    }

    /// `version-traceid-spanid-flags`: the trace id, when the header has that shape.
    static func traceID(_ traceparent: String?) -> String? {
        guard let parts = traceparent?.split(separator: "-"), parts.count == 4, parts[1].count == 32 else { return nil }
        return String(parts[1])
    }

    /// An order and what happened to it, in time order.
    struct OrderTimeline: Encodable {
        var order: PizzaOrder?
        var entries: [Entry]

        struct Entry: Encodable {
            var time: Date
            /// created, event, status, published, failed, effect
            var kind: String
            var text: String
            var eventID: String?
            var group: String?

            enum CodingKeys: String, CodingKey {
                case time, kind, text
                case eventID = "event_id"
                case group
            }
        }
    }

    func order(_ id: UUID) async throws -> OrderTimeline {
        let key = id.uuidString.lowercased()
        let view = try await sources.orders?.find(id: id)
        var events = view?.events ?? []
        if view == nil { events = try await sources.store.events(aggregateID: key) }
        guard view != nil || !events.isEmpty else {
            throw PizzaShopError(.notFound, "no order with id \(key)", field: "id")
        }
        var entries: [OrderTimeline.Entry] = []
        if let order = view?.order {
            entries.append(.init(time: order.createdAt, kind: "created", text: "order received: \(order.quantity) × \(order.flavor) (\(order.size))"))
        }
        for event in events {
            let eventID = event.id.uuidString.lowercased()
            var text = "\(event.eventType) stored"
            if let status = Self.statusChange(event) { text = "status → \(status) (\(event.eventType) stored)" }
            entries.append(.init(time: event.createdAt, kind: text.hasPrefix("status") ? "status" : "event", text: text, eventID: eventID))
            if let published = event.publishedAt {
                entries.append(.init(time: published, kind: "published", text: "\(event.eventType) published to \(sources.topic)", eventID: eventID))
            }
            if event.status == .failed {
                entries.append(
                    .init(
                        time: event.availableAt,
                        kind: "failed",
                        text: "\(event.eventType) parked after \(event.attempts) attempts: \(event.lastError ?? "no error text")",
                        eventID: eventID
                    )
                )
            }
        }
        for effect in try await sources.effects?.effects(orderID: key, groups: sampler.groups) ?? [] {
            let type = events.first { $0.id.uuidString.lowercased() == effect.eventID }?.eventType ?? "event"
            let duplicates = effect.deliveryCount > 1 ? " (\(effect.deliveryCount - 1) duplicate deliveries ignored)" : ""
            entries.append(
                .init(
                    time: effect.appliedAt,
                    kind: "effect",
                    text: "\(type) took effect in \(effect.group)\(duplicates)",
                    eventID: effect.eventID,
                    group: effect.group
                )
            )
        }
        // Times are stored to the millisecond (some rounded): compare at that precision, and keep
        // the natural order (stored, published, took effect) among equal times.
        let ordered = entries.enumerated().sorted {
            let (a, b) = ((($0.element.time.timeIntervalSince1970 * 1000).rounded()), (($1.element.time.timeIntervalSince1970 * 1000).rounded()))
            return a != b ? a < b : $0.offset < $1.offset
        }
        return OrderTimeline(order: view?.order, entries: ordered.map(\.element))
    }

    /// The new status an `OrderStatusChanged` event carries.
    static func statusChange(_ event: OutboxEvent) -> String? {
        guard event.eventType == OrderStatusChange.eventType,
            let change = try? PizzaJSON.decoder().decode(OrderStatusChange.self, from: Data(event.payload.utf8))
        else { return nil }
        return change.to.rawValue
    }

    struct RetryResult: Encodable {
        var requeued: Int
        var event: EventSummary?
    }

    func retry(_ id: UUID, logger: Logger) async throws -> RetryResult {
        switch try await sources.store.retry(id: id) {
        case .requeued(let event):
            logger.info("failed event requeued from the dashboard", metadata: ["outbox.event.id": "\(id.uuidString.lowercased())"])
            return RetryResult(requeued: 1, event: EventSummary(event: event))
        case .notFound:
            throw PizzaShopError(.notFound, "no outbox event with id \(id.uuidString.lowercased())", field: "id")
        case .notFailed(let status):
            throw PizzaShopError(.conflict, "the event is \(status.rawValue); only failed events can be retried", field: "id")
        }
    }

    func retryAll(logger: Logger) async throws -> RetryResult {
        let count = try await sources.store.retryFailed(limit: DashboardSampler.countLimit)
        logger.info("failed events requeued from the dashboard", metadata: ["outbox.requeued": "\(count)"])
        return RetryResult(requeued: count, event: nil)
    }
}
