import Foundation
import Outbox

/// Stores orders; `create` writes the order and its `PizzaOrderCreated` event in one transaction.
public protocol PizzaOrderRepository: Sendable {
    /// Stores the order and its event atomically; returns the stored order and the event id.
    func create(_ order: NewPizzaOrder, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID)
    /// The order and the state of its latest event, or nil.
    func find(id: UUID) async throws -> PizzaOrderView?
    /// Throws when the database does not answer.
    func checkReady() async throws
}

extension PizzaOrder {
    /// The outbox event announcing this order.
    func createdEvent(id: UUID, headers: [String: String]) throws -> NewOutboxEvent {
        let payload = String(decoding: try PizzaJSON.encoder().encode(self), as: UTF8.self)
        return NewOutboxEvent(
            id: id, aggregateType: PizzaOrder.aggregateType, aggregateID: self.id.uuidString.lowercased(),
            eventType: PizzaOrder.createdEventType, payload: payload, headers: headers, occurredAt: createdAt
        )
    }
}

extension PizzaOrderView {
    init?(order: PizzaOrder, events: [OutboxEvent]) {
        guard let latest = events.last else { return nil }
        self.init(
            order: order, eventID: latest.id, status: latest.status.rawValue, attempts: latest.attempts,
            lastError: latest.lastError, publishedAt: latest.publishedAt
        )
    }
}

/// Orders in memory over a `MemoryOutboxStore`, for tests and the embedded demo.
public final class MemoryPizzaOrderRepository: PizzaOrderRepository {
    private let orders = LockedDictionary<UUID, PizzaOrder>()
    public let outbox: MemoryOutboxStore

    public init(outbox: MemoryOutboxStore) {
        self.outbox = outbox
    }

    public func create(_ new: NewPizzaOrder, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        let order = PizzaOrder(id: UUID(), order: new, createdAt: Date.now.roundedToMilliseconds)
        let event = try order.createdEvent(id: UUID(), headers: headers)
        orders[order.id] = order
        outbox.enqueue([event])
        return (order, event.id)
    }

    public func find(id: UUID) async throws -> PizzaOrderView? {
        guard let order = orders[id] else { return nil }
        return PizzaOrderView(order: order, events: try await outbox.events(aggregateID: id.uuidString.lowercased()))
    }

    public func checkReady() async throws {}

    /// Every stored order.
    public var all: [PizzaOrder] { orders.values }
}
