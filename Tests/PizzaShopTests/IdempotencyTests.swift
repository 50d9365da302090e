import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Outbox
import PizzaShop
import Testing

@Suite(.timeLimit(.minutes(2)))
struct IdempotencyTests {
    static func key(_ key: String, _ order: NewPizzaOrder, ttl: Duration = .seconds(3600)) throws -> IdempotencyKey {
        try IdempotencyKey.parse(header: key, order: order, ttl: ttl)
    }

    @Test(arguments: RepositoryKind.available)
    func aRepeatReturnsTheOriginalAndWritesNothing(_ kind: RepositoryKind) async throws {
        try await kind.with { repository, outbox in
            let order = try ValidationTests.parse(ValidationTests.valid)
            let first = try await repository.create(order, headers: [:], idempotency: try Self.key("k-1", order))
            let again = try await repository.create(order, headers: [:], idempotency: try Self.key("k-1", order))
            #expect(!first.replayed && again.replayed)
            #expect(again.order == first.order && again.eventID == first.eventID)
            #expect(try await outbox.stats().pending == 1)
            // Another body under the same key is refused; another key is another order.
            var other = order
            other.quantity += 1
            await #expect {
                _ = try await repository.create(other, headers: [:], idempotency: try Self.key("k-1", other))
            } throws: { error in
                (error as? PizzaShopError)?.code == .idempotencyKeyReused
                    && (error as? PizzaShopError).map { HTTPResponse.Status($0.code) } == .conflict
            }
            #expect(try await repository.create(order, headers: [:], idempotency: try Self.key("k-2", order)).replayed == false)
            #expect(try await outbox.stats().pending == 2)
        }
    }

    @Test(arguments: RepositoryKind.available)
    func racingRepeatsCreateOneOrder(_ kind: RepositoryKind) async throws {
        try await kind.with { repository, outbox in
            let order = try ValidationTests.parse(ValidationTests.valid)
            let key = try Self.key("race", order)
            let results = try await withThrowingTaskGroup(of: CreatedOrder.self) { group in
                for _ in 0..<8 { group.addTask { try await repository.create(order, headers: [:], idempotency: key) } }
                var all: [CreatedOrder] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(results.count { !$0.replayed } == 1)
            #expect(Set(results.map(\.order.id)).count == 1)
            #expect(try await outbox.stats().pending == 1)
        }
    }

    @Test(arguments: RepositoryKind.available)
    func expiredKeysAreForgotten(_ kind: RepositoryKind) async throws {
        try await kind.with { repository, outbox in
            let order = try ValidationTests.parse(ValidationTests.valid)
            let short = try Self.key("k-short", order, ttl: .milliseconds(1))
            let first = try await repository.create(order, headers: [:], idempotency: short)
            try await Task.sleep(for: .milliseconds(20))
            let later = try await repository.create(order, headers: [:], idempotency: short)
            #expect(!later.replayed && later.order.id != first.order.id)
            #expect(try await repository.purgeIdempotencyKeys(olderThan: .zero) >= 1)
            #expect(try await outbox.stats().pending == 2)
        }
    }

    @Test func theHeaderOnPostPizza() async throws {
        let outbox = MemoryOutboxStore()
        let repository = MemoryPizzaOrderRepository(outbox: outbox)
        let app = Application(router: ProducerAPI(repository: repository).router())
        let key = HTTPField.Name("Idempotency-Key")!
        try await app.test(.router) { client in
            var firstID: String?
            for expected in [HTTPResponse.Status.created, .ok] {
                try await client.execute(
                    uri: "/pizza",
                    method: .post,
                    headers: [.contentType: "application/json", key: "order-77"],
                    body: ByteBuffer(string: ValidationTests.valid)
                ) { response in
                    #expect(response.status == expected)
                    let id = try ProducerAPITests.json(response.body)["id"] as? String
                    if firstID == nil { firstID = id } else { #expect(id == firstID) }
                }
            }
            let other = ValidationTests.valid.replacingOccurrences(of: "Alice", with: "Bob")
            try await client.execute(
                uri: "/pizza",
                method: .post,
                headers: [.contentType: "application/json", key: "order-77"],
                body: ByteBuffer(string: other)
            ) { response in
                #expect(response.status == .conflict)
                let field = try ProducerAPITests.errorMember(response.body, "field")
                #expect(field == "Idempotency-Key")
            }
            try await client.execute(
                uri: "/pizza",
                method: .post,
                headers: [.contentType: "application/json", key: "has space"],
                body: ByteBuffer(string: ValidationTests.valid)
            ) { response in
                #expect(response.status == .badRequest)
            }
        }
        #expect(outbox.allEvents().count == 1)
    }
}
