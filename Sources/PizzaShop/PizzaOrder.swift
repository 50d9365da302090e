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

    public init(id: UUID, order: NewPizzaOrder, createdAt: Date) {
        self.id = id
        self.flavor = order.flavor
        self.size = order.size
        self.quantity = order.quantity
        self.price = order.price
        self.address = order.address
        self.userName = order.userName
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, flavor, size, quantity, price, address
        case userName = "user_name"
        case createdAt = "created_at"
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
    }

    /// The event type written with every new order.
    public static let createdEventType = "PizzaOrderCreated"
    /// The outbox aggregate type of orders.
    public static let aggregateType = "PizzaOrder"
}

/// What `GET /pizza/{id}` shows: the order and the delivery state of its event.
public struct PizzaOrderView: Sendable, Codable, Equatable {
    public var order: PizzaOrder
    public var eventID: UUID
    public var status: String
    public var attempts: Int
    public var lastError: String?
    public var publishedAt: Date?
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
