import Foundation
import Outbox

/// Stores orders; every change writes the order and its event in one transaction.
public protocol PizzaOrderRepository: Sendable {
    /// Stores the order and its `PizzaOrderCreated` event atomically; returns the order and the event id.
    func create(_ order: NewPizzaOrder, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID)
    /// `create` under an idempotency key, in the same transaction: the first request with the key
    /// creates the order; a repeat with the same order returns it (`replayed`) and writes nothing —
    /// also when the two race; a repeat with another order throws `.idempotencyKeyReused`.
    /// A key older than its `ttl` is forgotten.
    func create(_ order: NewPizzaOrder, headers: [String: String], idempotency: IdempotencyKey) async throws -> CreatedOrder
    /// Moves the order to `status` and writes its `OrderStatusChanged` event atomically. Throws a
    /// `PizzaShopError` with `.notFound` for an unknown order and `.conflict` for a disallowed transition.
    func changeStatus(id: UUID, to status: OrderStatus, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID)
    /// Forgets idempotency keys older than `ttl`; returns how many.
    func purgeIdempotencyKeys(olderThan ttl: Duration) async throws -> Int
    /// The order and the state of its events, or nil.
    func find(id: UUID) async throws -> PizzaOrderView?
    /// Throws when the database does not answer.
    func checkReady() async throws
}

extension PizzaOrder {
    /// The outbox event announcing this order.
    package func createdEvent(id: UUID, headers: [String: String]) throws -> NewOutboxEvent {
        let payload = json()
        return NewOutboxEvent(
            id: id,
            aggregateType: PizzaOrder.aggregateType,
            aggregateID: self.id.uuidString.lowercased(),
            eventType: PizzaOrder.createdEventType,
            payload: payload,
            headers: headers,
            occurredAt: createdAt
        )
    }
}

/// An order and its event, on their way into one (possibly shared) transaction.
package struct NewOrderRows: Sendable {
    package var order: PizzaOrder
    package var event: NewOutboxEvent

    package init(order: PizzaOrder, event: NewOutboxEvent) {
        self.order = order
        self.event = event
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

    private struct Remembered: Sendable {
        var fingerprint: String
        var orderID: UUID
        var eventID: UUID
        var at: ContinuousClock.Instant
    }

    private let keys = LockedDictionary<String, Remembered>()
    private let keyLock = AsyncLock()

    public func create(_ new: NewPizzaOrder, headers: [String: String], idempotency: IdempotencyKey) async throws -> CreatedOrder {
        // One request per key at a time: a racing repeat waits, then replays.
        try await keyLock.withLock {
            if let known = keys[idempotency.key], ContinuousClock.now - known.at < idempotency.ttl {
                guard known.fingerprint == idempotency.fingerprint else { throw IdempotencyKey.reused(idempotency.key) }
                guard let order = orders[known.orderID] else { throw PizzaOrder.notFound(known.orderID) }
                return CreatedOrder(order: order, eventID: known.eventID, replayed: true)
            }
            let (order, eventID) = try await create(new, headers: headers)
            keys[idempotency.key] = Remembered(fingerprint: idempotency.fingerprint, orderID: order.id, eventID: eventID, at: .now)
            return CreatedOrder(order: order, eventID: eventID, replayed: false)
        }
    }

    public func purgeIdempotencyKeys(olderThan ttl: Duration) async throws -> Int {
        keys.removeAll(where: { ContinuousClock.now - $0.at >= ttl })
    }

    public func find(id: UUID) async throws -> PizzaOrderView? {
        guard let order = orders[id] else { return nil }
        return PizzaOrderView(order: order, events: try await outbox.events(aggregateID: id.uuidString.lowercased()))
    }

    public func changeStatus(id: UUID, to status: OrderStatus, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        // The check, the change and the event happen under one lock: the memory "transaction".
        let result = try orders.update(id) { order throws(PizzaShopError) -> (PizzaOrder, NewOutboxEvent) in
            guard var order else { throw PizzaOrder.notFound(id) }
            guard order.status.canMove(to: status) else {
                throw OrderStatusChange.conflict(id, from: order.status, to: status)
            }
            let change = OrderStatusChange(orderID: id, from: order.status, to: status, changedAt: Date.now.roundedToMilliseconds)
            let event: NewOutboxEvent
            do {
                event = try change.event(id: UUID(), headers: headers)
            } catch {
                throw PizzaShopError(.internalError, "the event could not be encoded", underlying: error)
            }
            order.status = status
            outbox.enqueue([event])
            return (order, event)
        }
        return (result.0, result.1.id)
    }

    public func checkReady() async throws {}

    /// Every stored order.
    public var all: [PizzaOrder] { orders.values }
}
