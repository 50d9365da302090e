import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Outbox
import PizzaShop
import Testing

@Suite struct ProducerAPITests {
    let outbox = MemoryOutboxStore()
    var repository: MemoryPizzaOrderRepository { MemoryPizzaOrderRepository(outbox: outbox) }

    func withApp(_ repository: any PizzaOrderRepository, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: ProducerAPI(repository: repository).router())
        try await app.test(.router, body)
    }

    struct NotAnObject: Error {}

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw NotAnObject()
        }
        return object
    }

    /// A member of the `error` object of an error response.
    static func errorMember(_ buffer: ByteBuffer, _ key: String) throws -> String? {
        (try json(buffer)["error"] as? [String: Any])?[key] as? String
    }

    @Test func createStoresOrderAndEventTogether() async throws {
        let repository = self.repository
        try await withApp(repository) { client in
            try await client.execute(
                uri: "/pizza",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: ValidationTests.valid)
            ) { response in
                #expect(response.status == .created)
                let body = try Self.json(response.body)
                #expect(body["flavor"] as? String == "Pepperoni")
                #expect(body["price"] as? Double == 19.99)
                #expect(body["user_name"] as? String == "Alice")
                let id = try #require(body["id"] as? String)
                let eventID = try #require(body["event_id"] as? String)
                #expect(id == id.lowercased() && body["created_at"] is String)
                let events = outbox.allEvents()
                #expect(events.count == 1)
                #expect(events.first?.id.uuidString.lowercased() == eventID)
                #expect(events.first?.aggregateID == id)
                #expect(events.first?.eventType == "PizzaOrderCreated")
            }
        }
    }

    @Test func getShowsTheOrderAndItsEventState() async throws {
        let repository = self.repository
        let (order, eventID) = try await repository.create(try ValidationTests.parse(ValidationTests.valid), headers: [:])
        try await withApp(repository) { client in
            try await client.execute(uri: "/pizza/\(order.id.uuidString.lowercased())", method: .get) { response in
                #expect(response.status == .ok)
                let body = try Self.json(response.body)
                #expect(body["status"] as? String == "received")
                #expect(body["event_id"] as? String == eventID.uuidString.lowercased())
                let event = try #require((body["events"] as? [[String: Any]])?.first)
                #expect(event["id"] as? String == eventID.uuidString.lowercased())
                #expect(event["type"] as? String == "PizzaOrderCreated")
                #expect(event["status"] as? String == "pending")
                #expect(event["attempts"] as? Int == 0)
                #expect(event["last_error"] is NSNull)
            }
            try await client.execute(uri: "/pizza/\(UUID().uuidString)", method: .get) { response in
                #expect(response.status == .notFound)
                let code = try Self.errorMember(response.body, "code")
                #expect(code == "not_found")
            }
            try await client.execute(uri: "/pizza/not-a-uuid", method: .get) { response in
                #expect(response.status == .badRequest)
                let field = try Self.errorMember(response.body, "field")
                #expect(field == "id")
            }
        }
    }

    @Test(arguments: [
        (#"{"flavor":"x"}"#, "application/json", 422, "missing_field"),
        ("{not json", "application/json", 400, "malformed_json"),
        (ValidationTests.valid, "text/plain", 415, "unsupported_media_type"),
        (ValidationTests.valid, "", 415, "unsupported_media_type"),
        (String(repeating: " ", count: 70_000) + ValidationTests.valid, "application/json", 413, "body_too_large"),
    ])
    func badRequestsAreJSONErrorsAndStoreNothing(body: String, contentType: String, status: Int, code: String) async throws {
        let repository = self.repository
        let outbox = self.outbox
        try await withApp(repository) { client in
            var headers = HTTPFields()
            if !contentType.isEmpty { headers[.contentType] = contentType }
            try await client.execute(uri: "/pizza", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                #expect(Int(response.status.code) == status)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let error = try #require(try Self.json(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == code)
                #expect(error["message"] is String)
            }
        }
        #expect(outbox.allEvents().isEmpty)
        #expect(repository.all.isEmpty)
    }

    @Test func databaseErrorsNeverReachTheBody() async throws {
        try await withApp(FailingRepository()) { client in
            try await client.execute(
                uri: "/pizza",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: ValidationTests.valid)
            ) { response in
                #expect(response.status == .internalServerError)
                let text = String(buffer: response.body)
                #expect(!text.contains("password") && !text.contains("connection refused"))
                let code = try Self.errorMember(response.body, "code")
                #expect(code == "internal_error")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func aDatabaseThatDoesNotAnswerIsA503AfterTheTimeout() async throws {
        let app = Application(router: ProducerAPI(repository: UnansweringRepository(), databaseTimeout: .milliseconds(100)).router())
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/pizza",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: ValidationTests.valid)
            ) { response in
                #expect(response.status == .serviceUnavailable)
                let code = try Self.errorMember(response.body, "code")
                #expect(code == "unavailable")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
    }

    @Test func unknownRoutesAreJSON404() async throws {
        try await withApp(repository) { client in
            try await client.execute(uri: "/nothing/here", method: .get) { response in
                #expect(response.status == .notFound)
                let code = try Self.errorMember(response.body, "code")
                #expect(code == "not_found")
            }
        }
    }

    @Test func traceparentIsKeptInTheEventHeaders() async throws {
        let repository = self.repository
        let outbox = self.outbox
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        try await withApp(repository) { client in
            try await client.execute(
                uri: "/pizza",
                method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("traceparent")!: traceparent],
                body: ByteBuffer(string: ValidationTests.valid)
            ) { response in
                #expect(response.status == .created)
            }
        }
        // No tracer is bootstrapped in tests: the client's valid header is kept as it came (with one,
        // it is the transaction span's context, in the client's trace; scripts/otlp-check sees that).
        #expect(outbox.allEvents().first?.headers["traceparent"] == traceparent)
    }

    @Test func anInvalidTraceparentIsNotKept() async throws {
        let repository = self.repository
        let outbox = self.outbox
        try await withApp(repository) { client in
            try await client.execute(
                uri: "/pizza",
                method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("traceparent")!: "00-not-a-trace-01"],
                body: ByteBuffer(string: ValidationTests.valid)
            ) { response in
                #expect(response.status == .created)
            }
        }
        #expect(outbox.allEvents().first?.headers["traceparent"] == nil)
    }
}

/// A repository whose database never answers (a lease waiting on a pool that cannot connect).
struct UnansweringRepository: PizzaOrderRepository {
    func create(_ order: NewPizzaOrder, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        try await Task.sleep(for: .seconds(3600))
        throw CancellationError()
    }
    func changeStatus(id: UUID, to status: OrderStatus, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        try await Task.sleep(for: .seconds(3600))
        throw CancellationError()
    }
    func create(_ order: NewPizzaOrder, headers: [String: String], idempotency: IdempotencyKey) async throws -> CreatedOrder {
        try await Task.sleep(for: .seconds(3600))
        throw CancellationError()
    }
    func purgeIdempotencyKeys(olderThan ttl: Duration) async throws -> Int { 0 }
    func find(id: UUID) async throws -> PizzaOrderView? {
        try await Task.sleep(for: .seconds(3600))
        return nil
    }
    func checkReady() async throws { try await Task.sleep(for: .seconds(3600)) }
}

/// A repository whose database is down, with a secret-looking error.
struct FailingRepository: PizzaOrderRepository {
    struct DatabaseDown: Error, CustomStringConvertible {
        var description: String { "connection refused for postgres://pizza:password@db" }
    }

    func create(_ order: NewPizzaOrder, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) { throw DatabaseDown() }
    func changeStatus(id: UUID, to status: OrderStatus, headers: [String: String]) async throws -> (order: PizzaOrder, eventID: UUID) {
        throw DatabaseDown()
    }
    func create(_ order: NewPizzaOrder, headers: [String: String], idempotency: IdempotencyKey) async throws -> CreatedOrder { throw DatabaseDown() }
    func purgeIdempotencyKeys(olderThan ttl: Duration) async throws -> Int { throw DatabaseDown() }
    func find(id: UUID) async throws -> PizzaOrderView? { throw DatabaseDown() }
    func checkReady() async throws { throw DatabaseDown() }
}
