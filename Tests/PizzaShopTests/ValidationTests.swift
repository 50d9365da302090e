import Foundation
import HTTPTypes
import PizzaShop
import Testing

@Suite struct ValidationTests {
    static let valid = #"{"flavor":"Pepperoni","size":"Large","quantity":2,"price":19.99,"address":"123 Main St","user_name":"Alice"}"#

    static func parse(_ text: String) throws(PizzaShopError) -> NewPizzaOrder {
        try NewPizzaOrder.parse(json: Array(text.utf8))
    }

    static func replacing(_ field: String, with json: String) -> String {
        var object = try! JSONSerialization.jsonObject(with: Data(valid.utf8)) as! [String: Any]
        object[field] = try! JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func acceptsTheSeedsBody() throws {
        let order = try Self.parse(Self.valid)
        #expect(
            order
                == NewPizzaOrder(
                    flavor: "Pepperoni",
                    size: "Large",
                    quantity: 2,
                    price: Money(cents: 1999),
                    address: "123 Main St",
                    userName: "Alice"
                )
        )
    }

    @Test(arguments: [
        ("flavor", #""""#, "invalid_value"), ("flavor", #""   ""#, "invalid_value"), ("flavor", "5", "wrong_type"),
        ("size", "null", "missing_field"), ("address", "[]", "wrong_type"), ("user_name", "true", "wrong_type"),
        ("quantity", "0", "invalid_value"), ("quantity", "101", "invalid_value"), ("quantity", "2.5", "invalid_value"),
        ("quantity", #""2""#, "wrong_type"), ("price", "-1", "invalid_value"), ("price", "1.001", "invalid_value"),
        ("price", "100000000", "invalid_value"), ("price", #""19.99""#, "wrong_type"),
        ("flavor", "\"" + String(repeating: "x", count: 201) + "\"", "invalid_value"),
        ("address", #""1 Main St\u0000""#, "invalid_value"), ("user_name", #""Al\tice""#, "invalid_value"),
        ("flavor", #""\u00a0\u2003\n""#, "invalid_value"),
    ])
    func rejectsBadFieldsNamingThem(field: String, json: String, code: String) {
        do {
            _ = try Self.parse(Self.replacing(field, with: json))
            Issue.record("accepted \(field) = \(json)")
        } catch {
            #expect(error.field == field)
            #expect(error.code.rawValue == code)
            #expect(HTTPResponse.Status(error.code).code == 422)
        }
    }

    @Test(arguments: ["flavor", "size", "quantity", "price", "address", "user_name"])
    func missingFieldsAreNamed(field: String) {
        var object = try! JSONSerialization.jsonObject(with: Data(Self.valid.utf8)) as! [String: Any]
        object[field] = nil
        let text = String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(throws: PizzaShopError.self) { try Self.parse(text) }
        do { _ = try Self.parse(text) } catch {
            #expect(error.code == .missingField && error.field == field)
        }
    }

    @Test(arguments: ["", "{", "[1,2]", "\"text\"", "{\"flavor\":}", "null", #"{"flavor":"x",}"#, "{} {}"])
    func malformedBodiesAre400(_ text: String) {
        do {
            _ = try Self.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == .malformedJSON && HTTPResponse.Status(error.code).code == 400)
        }
    }

    @Test func acceptsLimitsAndIgnoresUnknownFields() throws {
        let text = Self.replacing("quantity", with: "100").replacingOccurrences(of: "}", with: #","extra":1}"#)
        #expect(try Self.parse(text).quantity == 100)
        #expect(try Self.parse(Self.replacing("price", with: "0")).price == Money(cents: 0))
        #expect(try Self.parse(Self.replacing("price", with: "99999999.99")).price == Money(cents: 9_999_999_999))
        // Exponents are numbers like any other; one beyond Decimal's range is refused, naming the field.
        do {
            _ = try Self.parse(Self.valid.replacingOccurrences(of: "19.99", with: "1e400"))
            Issue.record("accepted a price of 1e400")
        } catch {
            #expect(error.code == .invalidValue && error.field == "price")
        }
        #expect(try Self.parse(Self.valid.replacingOccurrences(of: "19.99", with: "1.5e1")).price == Money(cents: 1500))
        #expect(try Self.parse(Self.valid.replacingOccurrences(of: "\"quantity\":2", with: "\"quantity\":2E0")).quantity == 2)
    }
}

@Suite struct MoneyTests {
    @Test(arguments: [("19.99", 1999), ("0.1", 10), ("7", 700), ("0.30", 30), ("12345678.91", 1_234_567_891)])
    func convertsExactly(text: String, cents: Int64) throws {
        let decimal = try #require(Decimal(string: text))
        let money = try #require(Money(exactly: decimal))
        #expect(money.cents == cents)
    }

    @Test(arguments: ["0.001", "19.999", "0.30000000000000004", "100000000.00"])
    func refusesWhatItCannotStoreExactly(_ text: String) throws {
        let decimal = try #require(Decimal(string: text))
        #expect(Money(exactly: decimal) == nil)
    }

    @Test func encodesAsANumberWithTwoDecimalsAtMost() throws {
        let text = String(decoding: try JSONEncoder().encode([Money(cents: 1999), Money(cents: 700), Money(cents: 5)]), as: UTF8.self)
        #expect(text == "[19.99,7,0.05]")
        #expect(Money(cents: 1999).description == "19.99")
        #expect(Money(cents: 5).description == "0.05")
    }
}
