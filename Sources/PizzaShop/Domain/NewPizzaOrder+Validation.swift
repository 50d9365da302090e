import Foundation
import Outbox

extension NewPizzaOrder {
    /// Longest accepted text field.
    public static let maxTextLength = 200
    /// Accepted quantities.
    public static let quantityRange = 1...100

    /// Parses and validates a request body; every failure names its field.
    public static func parse(json body: some Collection<UInt8>) throws(PizzaShopError) -> NewPizzaOrder {
        let object = try RawField.object(body)
        func text(_ name: String) throws(PizzaShopError) -> String {
            guard let field = object[name], field != .null else {
                throw PizzaShopError(.missingField, "\(name) is required", field: name)
            }
            guard case .string(let value) = field else {
                throw PizzaShopError(.wrongType, "\(name) must be a string", field: name)
            }
            // Blank when nothing is left after trimming `.whitespacesAndNewlines` (the same set as
            // Unicode's White_Space), without bridging to NSString.
            guard value.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
                throw .invalid(name, "\(name) must not be empty")
            }
            // Control characters (NUL above all, which PostgreSQL text cannot hold) are never part of a name or address.
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw .invalid(name, "\(name) must not contain control characters")
            }
            // Counted as JSON Schema's maxLength counts: in Unicode code points.
            guard value.unicodeScalars.count <= maxTextLength else {
                throw .invalid(name, "\(name) must be at most \(maxTextLength) characters")
            }
            return value
        }
        func number(_ name: String) throws(PizzaShopError) -> Decimal {
            guard let field = object[name], field != .null else {
                throw PizzaShopError(.missingField, "\(name) is required", field: name)
            }
            switch field {
            case .number(let value): return value
            case .unrepresentableNumber: throw .invalid(name, "\(name) is out of range")
            default: throw PizzaShopError(.wrongType, "\(name) must be a number", field: name)
            }
        }
        let flavor = try text("flavor")
        let size = try text("size")
        let quantityValue = try number("quantity")
        guard quantityValue == quantityValue.rounded(), let quantity = Int(exactly: quantityValue),
            quantityRange.contains(quantity)
        else {
            throw .invalid("quantity", "quantity must be an integer from \(quantityRange.lowerBound) to \(quantityRange.upperBound)")
        }
        let priceValue = try number("price")
        guard priceValue >= 0, let price = Money(exactly: priceValue) else {
            throw .invalid("price", "price must be a number ≥ 0 with at most two decimals, below 100000000")
        }
        let address = try text("address")
        let userName = try text("user_name")
        return NewPizzaOrder(flavor: flavor, size: size, quantity: quantity, price: price, address: address, userName: userName)
    }
}

/// One member of the request object, typed just enough to name what is wrong with it.
enum RawField: Equatable {
    /// The members of a JSON object body; anything else is `malformed_json`.
    static func object(_ body: some Collection<UInt8>) throws(PizzaShopError) -> [String: RawField] {
        let members: [String: JSONScanner.Value]?
        do {
            members = try JSONScanner.parse(body).members
        } catch {
            throw PizzaShopError(.malformedJSON, "the body is not a JSON object", underlying: error)
        }
        guard let members else { throw PizzaShopError(.malformedJSON, "the body is not a JSON object") }
        return members.mapValues(RawField.init)
    }

    case null
    case bool
    case number(Decimal)
    /// A number too large or too small for `Decimal`.
    case unrepresentableNumber
    case string(String)
    case composite

    init(_ value: JSONScanner.Value) {
        switch value {
        case .null: self = .null
        case .bool: self = .bool
        case .number(let text): self = Decimal(string: text).map(RawField.number) ?? .unrepresentableNumber
        case .string(let text): self = .string(text)
        case .array, .object: self = .composite
        }
    }
}

extension Decimal {
    /// Rounded to an integer, half away from zero.
    func rounded() -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, 0, .plain)
        return result
    }
}

extension Int {
    /// An exact integer conversion from a decimal.
    init?(exactly decimal: Decimal) {
        guard decimal == decimal.rounded(), decimal.magnitude <= Decimal(Int32.max) else { return nil }
        self = NSDecimalNumber(decimal: decimal).intValue
    }
}
