import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Outbox
import PizzaShop
import Testing

@Suite struct AdminAPITests {
    static let token = "s3cret-admin-token"

    /// A shop with one parked order (its created event failed, a status change waits behind it)
    /// and one published order.
    func parkedShop() async throws -> (MemoryOutboxStore, MemoryPizzaOrderRepository, parked: OutboxEvent) {
        let outbox = MemoryOutboxStore()
        let repository = MemoryPizzaOrderRepository(outbox: outbox)
        let (poison, _) = try await repository.create(try ValidationTests.parse(ValidationTests.valid), headers: [:])
        _ = try await repository.create(try ValidationTests.parse(ValidationTests.valid), headers: [:])
        let batch = try await outbox.claim(limit: 10, owner: "r", leaseDuration: .seconds(30))
        try await outbox.complete(
            [
                .failed(id: batch.events[0].id, error: "card declined", retryAt: nil), .published(id: batch.events[1].id),
            ],
            owner: "r"
        )
        _ = try await repository.changeStatus(id: poison.id, to: .cancelled, headers: [:])
        return (outbox, repository, batch.events[0])
    }

    func withApp(
        _ repository: MemoryPizzaOrderRepository,
        token: String?,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let admin = token.map { AdminAPI(store: repository.outbox, token: $0) }
        try await Application(router: ProducerAPI(repository: repository, admin: admin).router()).test(.router, body)
    }

    var auth: HTTPFields { [.authorization: "Bearer \(Self.token)"] }

    @Test func withoutAConfiguredTokenTheRoutesDoNotExist() async throws {
        let (_, repository, _) = try await parkedShop()
        try await withApp(repository, token: nil) { client in
            for (uri, method) in [("/admin/outbox", HTTPRequest.Method.get), ("/admin/outbox/stats", .get), ("/admin/outbox/retry-failed", .post)] {
                try await client.execute(uri: uri, method: method, headers: auth) { response in
                    #expect(response.status == .notFound)
                }
            }
        }
    }

    @Test(arguments: ["", "Bearer wrong-token", "Basic czNjcmV0", "Bearer s3cret-admin-token-and-more"])
    func aMissingOrWrongTokenIs401(_ authorization: String) async throws {
        let (outbox, repository, _) = try await parkedShop()
        try await withApp(repository, token: Self.token) { client in
            var headers = HTTPFields()
            if !authorization.isEmpty { headers[.authorization] = authorization }
            try await client.execute(uri: "/admin/outbox/retry-failed", method: .post, headers: headers) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                let code = try ProducerAPITests.errorMember(response.body, "code")
                #expect(code == "unauthorized")
            }
        }
        #expect(try await outbox.stats().failed == 1)
    }

    @Test func listAndStatsShowTheParkedEvent() async throws {
        let (_, repository, parked) = try await parkedShop()
        try await withApp(repository, token: Self.token) { client in
            try await client.execute(uri: "/admin/outbox?status=failed&limit=10", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                let body = try ProducerAPITests.json(response.body)
                let events = try #require(body["events"] as? [[String: Any]])
                #expect(events.count == 1)
                #expect(events.first?["id"] as? String == parked.id.uuidString.lowercased())
                #expect(events.first?["last_error"] as? String == "card declined")
                #expect((events.first?["payload"] as? [String: Any])?["flavor"] as? String == "Pepperoni")
                #expect(body["next_after"] is NSNull)
            }
            try await client.execute(uri: "/admin/outbox?limit=1", method: .get, headers: auth) { response in
                let body = try ProducerAPITests.json(response.body)
                #expect((body["events"] as? [Any])?.count == 1)
                #expect(body["next_after"] as? Int == 1)
            }
            try await client.execute(uri: "/admin/outbox/stats", method: .get, headers: auth) { response in
                let body = try ProducerAPITests.json(response.body)
                #expect(body["pending"] as? Int == 1 && body["completed"] as? Int == 1 && body["failed"] as? Int == 1)
                #expect(body["oldest_pending_age_seconds"] is Double)
            }
            for bad in ["status=lost", "status=", "limit=0", "limit=x", "after=-1"] {
                try await client.execute(uri: "/admin/outbox?\(bad)", method: .get, headers: auth) { response in
                    #expect(response.status == .badRequest)
                    let field = try ProducerAPITests.errorMember(response.body, "field")
                    #expect(field == String(bad.prefix { $0 != "=" }))
                }
            }
        }
    }

    @Test func retryRequeuesAndUnblocksTheOrder() async throws {
        let (outbox, repository, parked) = try await parkedShop()
        try await withApp(repository, token: Self.token) { client in
            try await client.execute(uri: "/admin/outbox/\(parked.id.uuidString.lowercased())/retry", method: .post, headers: auth) { response in
                #expect(response.status == .ok)
                let body = try ProducerAPITests.json(response.body)
                #expect(body["status"] as? String == "pending" && body["attempts"] as? Int == 0)
            }
            try await client.execute(uri: "/admin/outbox/\(parked.id.uuidString.lowercased())/retry", method: .post, headers: auth) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "/admin/outbox/\(UUID().uuidString)/retry", method: .post, headers: auth) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/admin/outbox/nope/retry", method: .post, headers: auth) { response in
                #expect(response.status == .badRequest)
            }
        }
        // The order flows again: its created event first, then the status change.
        let first = try await outbox.claim(limit: 10, owner: "r", leaseDuration: .seconds(30))
        #expect(first.events.map(\.id) == [parked.id])
        try await outbox.complete([.published(id: parked.id)], owner: "r")
        #expect(try await outbox.claim(limit: 10, owner: "r", leaseDuration: .seconds(30)).events.map(\.eventType) == ["OrderStatusChanged"])
    }

    @Test func retryFailedRequeuesEveryFailedEvent() async throws {
        let (outbox, repository, _) = try await parkedShop()
        try await withApp(repository, token: Self.token) { client in
            try await client.execute(uri: "/admin/outbox/retry-failed", method: .post, headers: auth) { response in
                #expect(response.status == .ok)
                let body = try ProducerAPITests.json(response.body)
                #expect(body["requeued"] as? Int == 1)
            }
        }
        #expect(try await outbox.stats().failed == 0)
    }
}
