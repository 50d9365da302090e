import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Outbox
import OutboxPostgres
import OutboxSQLite
import OutboxTesting
import PizzaShop
import PizzaShopPostgres
import PizzaShopSQLite
import TestSupport
import Testing

/// The three repositories, each with a fresh store.
enum RepositoryKind: String, CaseIterable, CustomTestStringConvertible {
    case memory, sqlite, postgres

    var testDescription: String { rawValue }

    static var available: [RepositoryKind] {
        TestServers.postgresEnabled ? allCases : [.memory, .sqlite]
    }

    func with(_ body: (any PizzaOrderRepository, any OutboxStore) async throws -> Void) async throws {
        let logger = Logger(label: "test")
        switch self {
        case .memory:
            let outbox = MemoryOutboxStore()
            try await body(MemoryPizzaOrderRepository(outbox: outbox), outbox)
        case .sqlite:
            let storage = try await SQLiteStorage.open(path: ":memory:", logger: logger)
            let repository = SQLitePizzaOrderRepository(outbox: try SQLiteOutboxStore(storage: storage))
            do {
                _ = try await storage.migrate(repository.migrations)
                try await body(repository, repository.outbox)
            } catch {
                await storage.close()
                throw error
            }
            await storage.close()
        case .postgres:
            try await TestSchema.with("status") { _, client in
                let outbox = try PostgresOutboxStore(client: client, logger: logger)
                let repository = PostgresPizzaOrderRepository(client: client, outbox: outbox, logger: logger)
                try await PostgresMigrator(repository.migrations).migrate(client: client, logger: logger)
                try await body(repository, outbox)
            }
        }
    }
}

@Suite(.timeLimit(.minutes(2)))
struct OrderStatusTests {
    @Test func transitionsFollowTheKitchen() {
        #expect(OrderStatus.received.canMove(to: .baking))
        #expect(OrderStatus.received.canMove(to: .cancelled))
        #expect(OrderStatus.baking.canMove(to: .outForDelivery))
        #expect(!OrderStatus.received.canMove(to: .delivered))
        #expect(!OrderStatus.outForDelivery.canMove(to: .cancelled))
        #expect(OrderStatus.delivered.allowedNext.isEmpty && OrderStatus.cancelled.allowedNext.isEmpty)
    }

    @Test(arguments: [
        (#"{}"#, "missing_field"), (#"{"status":1}"#, "wrong_type"), (#"{"status":"burnt"}"#, "invalid_value"),
        (#"{"status":"received"}"#, "invalid_value"), ("[", "malformed_json"),
    ])
    func patchBodiesAreValidated(body: String, code: String) {
        #expect {
            _ = try OrderStatus.parsePatch(json: Array(body.utf8))
        } throws: { error in
            (error as? PizzaShopError)?.code.rawValue == code && (code == "malformed_json" || (error as? PizzaShopError)?.field == "status")
        }
    }

    @Test(arguments: RepositoryKind.available)
    func changeWritesStatusAndEventTogether(_ kind: RepositoryKind) async throws {
        try await kind.with { repository, outbox in
            let (order, createdID) = try await repository.create(try ValidationTests.parse(ValidationTests.valid), headers: [:])
            let (baking, bakingID) = try await repository.changeStatus(id: order.id, to: .baking, headers: ["traceparent": "00-x"])
            #expect(baking.status == .baking && baking.id == order.id)
            let (leaving, leavingID) = try await repository.changeStatus(id: order.id, to: .outForDelivery, headers: [:])
            #expect(leaving.status == .outForDelivery)

            let view = try #require(try await repository.find(id: order.id))
            #expect(view.order.status == .outForDelivery)
            #expect(view.events.map(\.id) == [createdID, bakingID, leavingID])
            #expect(view.events.map(\.eventType) == ["PizzaOrderCreated", "OrderStatusChanged", "OrderStatusChanged"])
            let change = try PizzaJSON.decoder().decode(OrderStatusChange.self, from: Data(view.events[1].payload.utf8))
            #expect(change.orderID == order.id && change.from == .received && change.to == .baking)
            #expect(view.events[1].headers["traceparent"] == "00-x")
            #expect(try await outbox.stats().pending == 3)
        }
    }

    @Test(arguments: RepositoryKind.available)
    func refusedChangesWriteNothing(_ kind: RepositoryKind) async throws {
        try await kind.with { repository, outbox in
            let (order, _) = try await repository.create(try ValidationTests.parse(ValidationTests.valid), headers: [:])
            await #expect {
                _ = try await repository.changeStatus(id: order.id, to: .delivered, headers: [:])
            } throws: { error in
                (error as? PizzaShopError)?.code == .conflict && (error as? PizzaShopError).map { HTTPResponse.Status($0.code) } == .conflict
            }
            await #expect {
                _ = try await repository.changeStatus(id: UUID(), to: .baking, headers: [:])
            } throws: { error in
                (error as? PizzaShopError)?.code == .notFound
            }
            #expect(try await repository.find(id: order.id)?.order.status == .received)
            #expect(try await outbox.stats().pending == 1)
        }
    }

    @Test(arguments: RepositoryKind.available)
    func racingChangesApplyOnce(_ kind: RepositoryKind) async throws {
        try await kind.with { repository, outbox in
            let (order, _) = try await repository.create(try ValidationTests.parse(ValidationTests.valid), headers: [:])
            // Ten clients try the same transition at once: exactly one wins.
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        do {
                            _ = try await repository.changeStatus(id: order.id, to: .baking, headers: [:])
                            return true
                        } catch let error as PizzaShopError where error.code == .conflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            let events = try await outbox.events(aggregateID: order.id.uuidString.lowercased())
            #expect(events.map(\.eventType) == ["PizzaOrderCreated", "OrderStatusChanged"])
        }
    }

    @Test func patchRouteAnswersWithStatusCodes() async throws {
        let outbox = MemoryOutboxStore()
        let repository = MemoryPizzaOrderRepository(outbox: outbox)
        let (order, _) = try await repository.create(try ValidationTests.parse(ValidationTests.valid), headers: [:])
        let app = Application(router: ProducerAPI(repository: repository).router())
        let path = "/pizza/\(order.id.uuidString.lowercased())"
        try await app.test(.router) { client in
            try await client.execute(
                uri: path,
                method: .patch,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"status":"baking"}"#)
            ) { response in
                #expect(response.status == .ok)
                let body = try ProducerAPITests.json(response.body)
                #expect(body["status"] as? String == "baking")
                #expect(body["event_id"] is String)
            }
            try await client.execute(
                uri: path,
                method: .patch,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"status":"delivered"}"#)
            ) { response in
                #expect(response.status == .conflict)
                let code = try ProducerAPITests.errorMember(response.body, "code")
                let field = try ProducerAPITests.errorMember(response.body, "field")
                #expect(code == "conflict" && field == "status")
            }
            try await client.execute(
                uri: path,
                method: .patch,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"status":"burnt"}"#)
            ) { response in
                #expect(response.status == .unprocessableContent)
            }
            try await client.execute(
                uri: "/pizza/\(UUID().uuidString)",
                method: .patch,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"status":"baking"}"#)
            ) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(
                uri: path,
                method: .patch,
                headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: #"{"status":"baking"}"#)
            ) { response in
                #expect(response.status == .unsupportedMediaType)
            }
        }
        #expect(outbox.allEvents().map(\.eventType) == ["PizzaOrderCreated", "OrderStatusChanged"])
    }
}
