import Foundation
import Testing

@testable import PizzaShop

struct PizzaOrderJSONTests {
    static let orders: [PizzaOrder] = [
        (1999, "Pepperoni", "Alice", "123 Main St"), (700, "Margherita", "Bob \"the\" Baker", "Flat 2/B, Back\\Street"),
        (1990, "Quattro formaggi", "Zoë 中文 😀", "Straße 1"), (5, "x", "<script>alert(1)</script>", "a&b"),
        (0, "free", "n", "m"), (1_234_567_891, "big", "u", "v"),
    ].enumerated().map { index, row in
        PizzaOrder(
            id: UUID(),
            order: NewPizzaOrder(flavor: row.1, size: "large", quantity: index + 1, price: Money(cents: row.0), address: row.3, userName: row.2),
            createdAt: Date(timeIntervalSince1970: 1_765_000_000.123 + Double(index)),
            status: OrderStatus.allCases[index % OrderStatus.allCases.count]
        )
    }

    @Test func theEventPayloadIsWhatJSONEncoderWrites() throws {
        for order in Self.orders {
            let encoded = String(decoding: try PizzaJSON.encoder().encode(order), as: UTF8.self)
            #expect(order.json() == encoded)
        }
    }

    @Test func theCreatedResponseIsWhatJSONEncoderWrites() throws {
        for order in Self.orders {
            let eventID = UUID()
            let encoded = String(decoding: try PizzaJSON.encoder().encode(OrderResponse(order: order, eventID: eventID)), as: UTF8.self)
            #expect(order.json(eventID: eventID) == encoded)
        }
    }
}
