import PizzaShop

/// Random orders in the style of the original client.
public struct OrderGenerator: Sendable {
    public static let flavors = ["Margherita", "Pepperoni", "Hawaiian", "Veggie", "BBQ Chicken", "Four Cheese", "Meat Lovers", "Mushroom"]
    public static let sizes = ["Small", "Medium", "Large", "Extra Large"]
    public static let addresses = ["123 Main St", "456 Oak Ave", "789 Pine Rd", "321 Elm St", "654 Maple Dr", "987 Cedar Ln"]
    public static let names = ["Alice", "Bob", "Charlie", "Diana", "Eve", "Frank", "Grace", "Heidi"]

    public init() {}

    /// One random order; the price is whole cents between 5.00 and 49.99.
    public func next<G: RandomNumberGenerator>(using generator: inout G) -> NewPizzaOrder {
        NewPizzaOrder(
            flavor: Self.flavors.randomElement(using: &generator)!,
            size: Self.sizes.randomElement(using: &generator)!,
            quantity: Int.random(in: 1...5, using: &generator),
            price: Money(cents: Int64.random(in: 500...4999, using: &generator)),
            address: Self.addresses.randomElement(using: &generator)!,
            userName: Self.names.randomElement(using: &generator)!
        )
    }

    /// One random order with system randomness.
    public func next() -> NewPizzaOrder {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }
}
