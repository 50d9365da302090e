import Foundation
import Outbox

/// Where an order is in the kitchen; `PATCH /pizza/{id}` moves it along the allowed transitions.
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case received
    case baking
    case outForDelivery = "out_for_delivery"
    case delivered
    case cancelled

    /// The statuses this one may move to: forward through the kitchen, or cancelled before it leaves.
    public var allowedNext: [OrderStatus] {
        switch self {
        case .received: [.baking, .cancelled]
        case .baking: [.outForDelivery, .cancelled]
        case .outForDelivery: [.delivered]
        case .delivered, .cancelled: []
        }
    }

    /// Whether `next` is an allowed transition from this status.
    public func canMove(to next: OrderStatus) -> Bool {
        allowedNext.contains(next)
    }

    /// Parses a `PATCH /pizza/{id}` body: `{"status": "..."}`; failures name the field.
    public static func parsePatch(json body: some Collection<UInt8>) throws(PizzaShopError) -> OrderStatus {
        let object = try RawField.object(body)
        guard let field = object["status"], field != .null else {
            throw PizzaShopError(.missingField, "status is required", field: "status")
        }
        guard case .string(let text) = field else {
            throw PizzaShopError(.wrongType, "status must be a string", field: "status")
        }
        let settable = allCases.filter { $0 != .received }
        guard let status = OrderStatus(rawValue: text), status != .received else {
            throw .invalid("status", "status must be one of \(settable.map(\.rawValue).joined(separator: ", "))")
        }
        return status
    }
}

/// The `data` of an `OrderStatusChanged` event.
public struct OrderStatusChange: Sendable, Hashable, Codable {
    public var orderID: UUID
    public var from: OrderStatus
    public var to: OrderStatus
    public var changedAt: Date

    public init(orderID: UUID, from: OrderStatus, to: OrderStatus, changedAt: Date) {
        self.orderID = orderID
        self.from = from
        self.to = to
        self.changedAt = changedAt
    }

    enum CodingKeys: String, CodingKey {
        case orderID = "order_id"
        case from, to
        case changedAt = "changed_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(orderID.uuidString.lowercased(), forKey: .orderID)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(changedAt, forKey: .changedAt)
    }

    /// The event type written with every status change.
    public static let eventType = "OrderStatusChanged"

    /// The outbox event announcing this change.
    package func event(id: UUID, headers: [String: String]) throws -> NewOutboxEvent {
        let payload = String(decoding: try PizzaJSON.encoder().encode(self), as: UTF8.self)
        return NewOutboxEvent(
            id: id,
            aggregateType: PizzaOrder.aggregateType,
            aggregateID: orderID.uuidString.lowercased(),
            eventType: Self.eventType,
            payload: payload,
            headers: headers,
            occurredAt: changedAt
        )
    }

    /// The error for a transition the order's current status does not allow (HTTP 409).
    package static func conflict(_ order: UUID, from: OrderStatus, to: OrderStatus) -> PizzaShopError {
        let allowed = from.allowedNext.map(\.rawValue)
        let hint = allowed.isEmpty ? "it is final" : "allowed: \(allowed.joined(separator: ", "))"
        return PizzaShopError(
            .conflict,
            "order \(order.uuidString.lowercased()) is \(from.rawValue) and cannot become \(to.rawValue) (\(hint))",
            field: "status"
        )
    }
}
