import Foundation
import Outbox

extension PizzaOrder {
    /// The order as `PizzaJSON.encoder()` writes it (sorted keys), plus `event_id` when given —
    /// written directly: `JSONEncoder` was the producer's largest cost after the network (two
    /// encodings per order, the event's payload and the response). A test holds the two equal.
    package func json(eventID: UUID? = nil) -> String {
        var out = "{\"address\":"
        appendJSONString(address, to: &out)
        out += ",\"created_at\":\""
        out += RFC3339.format(createdAt)
        if let eventID {
            out += "\",\"event_id\":\""
            out += eventID.uuidString.lowercased()
        }
        out += "\",\"flavor\":"
        appendJSONString(flavor, to: &out)
        out += ",\"id\":\""
        out += id.uuidString.lowercased()
        out += "\",\"price\":"
        out += price.jsonNumber
        out += ",\"quantity\":"
        out += String(quantity)
        out += ",\"size\":"
        appendJSONString(size, to: &out)
        out += ",\"status\":\""
        out += status.rawValue
        out += "\",\"user_name\":"
        appendJSONString(userName, to: &out)
        out += "}"
        return out
    }
}

extension Money {
    /// The amount as `JSONEncoder` writes its `Decimal`: no trailing zeros (19.9, 7, 0.05).
    var jsonNumber: String {
        let sign = cents < 0 ? "-" : ""
        let units = cents.magnitude / 100
        let fraction = cents.magnitude % 100
        if fraction == 0 { return "\(sign)\(units)" }
        if fraction % 10 == 0 { return "\(sign)\(units).\(fraction / 10)" }
        return "\(sign)\(units).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
