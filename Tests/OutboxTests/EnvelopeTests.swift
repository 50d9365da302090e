import Foundation
import Outbox
import Testing

@Suite struct EnvelopeTests {
    let event = OutboxEvent(
        id: UUID(uuidString: "6A2F41A3-C54C-4FE8-A2C5-CA8C7A4A7E4B")!,
        seq: 7,
        aggregateType: "PizzaOrder",
        aggregateID: "order-1",
        eventType: "PizzaOrderCreated",
        payload: #"{"flavor":"Pepperoni","price":19.99,"note":"line\nbreak \"quoted\""}"#,
        headers: ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
        status: .pending,
        attempts: 0,
        lastError: nil,
        availableAt: Date(),
        createdAt: Date(timeIntervalSince1970: 1_700_000_000.123),
        publishedAt: nil
    )

    @Test func encodesCloudEventsFields() throws {
        let text = Envelope.encode(event, source: "pizza/job")
        let envelope = try Envelope.decode(text)
        #expect(envelope.specversion == "1.0")
        #expect(envelope.id == "6a2f41a3-c54c-4fe8-a2c5-ca8c7a4a7e4b")
        #expect(envelope.source == "pizza/job")
        #expect(envelope.type == "PizzaOrderCreated")
        #expect(envelope.subject == "order-1")
        #expect(envelope.datacontenttype == "application/json")
        #expect(envelope.traceparent == event.headers["traceparent"])
        #expect(abs(envelope.time.timeIntervalSince1970 - 1_700_000_000.123) < 0.001)
        #expect(envelope.data["flavor"]?.stringValue == "Pepperoni")
        #expect(envelope.data["price"]?.numberValue == 19.99)
        #expect(envelope.data["note"]?.stringValue == "line\nbreak \"quoted\"")
    }

    @Test func encodingIsValidJSONForHostileStrings() throws {
        var hostile = event
        hostile.aggregateID = "a\"b\\c\u{01}\td"
        hostile.headers = [:]
        let envelope = try Envelope.decode(Envelope.encode(hostile, source: "s\"rc"))
        #expect(envelope.subject == hostile.aggregateID)
        #expect(envelope.source == "s\"rc")
        #expect(envelope.traceparent == nil)
    }

    @Test(arguments: ["plain", "", "naïve ☃ 🍕", "quote \" and \\ back", "line\nbreak\u{1F}", "tab\tend"])
    func stringsEncodeAsJSONAndReadBack(_ text: String) throws {
        var out = ""
        appendJSONString(text, to: &out)
        #expect(try JSONDecoder().decode(String.self, from: Data(out.utf8)) == text)
    }

    @Test func roundTripsThroughCodable() throws {
        let envelope = try Envelope.decode(Envelope.encode(event, source: "x"))
        let again = try Envelope.decode(String(decoding: try JSONEncoder().encode(envelope), as: UTF8.self))
        #expect(again == envelope)
    }

    @Test func rejectsNonEnvelopes() {
        #expect(throws: (any Error).self) { try Envelope.decode(#"{"hello":"world"}"#) }
        #expect(throws: (any Error).self) { try Envelope.decode("not json") }
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        (1_700_000_000.123, "2023-11-14T22:13:20.123Z"),
        (0, "1970-01-01T00:00:00.000Z"),
        (-0.5, "1969-12-31T23:59:59.500Z"),
        (951_782_400.9996, "2000-02-29T00:00:01.000Z"),
    ])
    func formatsRoundedMilliseconds(seconds: Double, text: String) throws {
        #expect(RFC3339.format(Date(timeIntervalSince1970: seconds)) == text)
        let parsed = try #require(RFC3339.parse(text))
        #expect(RFC3339.format(parsed) == text)
    }
}
