import Foundation
import Outbox

/// A valid order as the client asked for it (the seed's fields).
public struct NewPizzaOrder: Sendable, Hashable, Codable {
    public var flavor: String
    public var size: String
    public var quantity: Int
    public var price: Money
    public var address: String
    public var userName: String

    public init(flavor: String, size: String, quantity: Int, price: Money, address: String, userName: String) {
        self.flavor = flavor
        self.size = size
        self.quantity = quantity
        self.price = price
        self.address = address
        self.userName = userName
    }

    enum CodingKeys: String, CodingKey {
        case flavor, size, quantity, price, address
        case userName = "user_name"
    }
}

/// A stored order; also the `data` of its `PizzaOrderCreated` event.
public struct PizzaOrder: Sendable, Hashable, Codable {
    public var id: UUID
    public var flavor: String
    public var size: String
    public var quantity: Int
    public var price: Money
    public var address: String
    public var userName: String
    public var createdAt: Date
    /// Where the order is now; `received` when created.
    public var status: OrderStatus

    public init(id: UUID, order: NewPizzaOrder, createdAt: Date, status: OrderStatus = .received) {
        self.id = id
        self.flavor = order.flavor
        self.size = order.size
        self.quantity = order.quantity
        self.price = order.price
        self.address = order.address
        self.userName = order.userName
        self.createdAt = createdAt
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case id, flavor, size, quantity, price, address, status
        case userName = "user_name"
        case createdAt = "created_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UUID.self, forKey: .id)
        flavor = try container.decode(String.self, forKey: .flavor)
        size = try container.decode(String.self, forKey: .size)
        quantity = try container.decode(Int.self, forKey: .quantity)
        price = try container.decode(Money.self, forKey: .price)
        address = try container.decode(String.self, forKey: .address)
        userName = try container.decode(String.self, forKey: .userName)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        // Events written before statuses existed carry none: those orders were just received.
        status = try container.decodeIfPresent(OrderStatus.self, forKey: .status) ?? .received
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // Lower-case UUIDs everywhere: URLs, events and rows print ids the same way.
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(flavor, forKey: .flavor)
        try container.encode(size, forKey: .size)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(price, forKey: .price)
        try container.encode(address, forKey: .address)
        try container.encode(userName, forKey: .userName)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(status, forKey: .status)
    }

    /// The event type written with every new order.
    public static let createdEventType = "PizzaOrderCreated"
    /// The outbox aggregate type of orders.
    public static let aggregateType = "PizzaOrder"

    /// The error for an unknown order id (HTTP 404).
    package static func notFound(_ id: UUID) -> PizzaShopError {
        PizzaShopError(.notFound, "no order with id \(id.uuidString.lowercased())")
    }
}

/// What `GET /pizza/{id}` shows: the order and the delivery state of each of its events.
/// An order with the state of its events, as `GET /pizza/{id}` shows it.
public struct PizzaOrderView: Sendable, Equatable {
    public var order: PizzaOrder
    /// The order's events in commit order.
    public var events: [OutboxEvent]

    public init(order: PizzaOrder, events: [OutboxEvent]) {
        self.order = order
        self.events = events
    }
}

/// JSON coding shared by the APIs, the events and the client: snake-case keys are explicit, dates
/// are RFC 3339 with milliseconds.
public enum PizzaJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = RFC3339.encodingStrategy
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = RFC3339.decodingStrategy
        return decoder
    }
}
