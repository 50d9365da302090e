import Foundation
import Outbox
import PizzaShop
import Testing

@Suite(.timeLimit(.minutes(2)))
struct GroupCommitRepositoryTests {
    /// The stores that check the order table's constraints themselves (memory trusts the API's validation).
    static let kinds = RepositoryKind.available.filter { $0 != .memory }

    @Test("concurrent orders share transactions; an order the database refuses fails alone", arguments: kinds)
    func refusedOrderFailsAlone(_ kind: RepositoryKind) async throws {
        try await kind.with { repository, outbox in
            let valid = try ValidationTests.parse(ValidationTests.valid)
            // Past the table's CHECK (the API would have refused it first).
            let refused = {
                var order = valid
                order.quantity = 1000
                return order
            }()
            let results = await withTaskGroup(of: (Int, UUID?).self) { group in
                for index in 0..<40 {
                    group.addTask {
                        (index, try? await repository.create(index == 17 ? refused : valid, headers: [:]).order.id)
                    }
                }
                var results: [Int: UUID?] = [:]
                for await (index, id) in group { results[index] = id }
                return results
            }
            #expect(results[17] == .some(nil))
            let accepted = Set(results.values.compactMap { $0 })
            #expect(accepted.count == 39)
            // Every accepted order is stored with its event; nothing of the refused one is.
            for id in accepted { #expect(try await repository.find(id: id)?.events.count == 1) }
            let events = try await outbox.list(status: nil, limit: 100, afterSeq: nil)
            #expect(Set(events.map(\.aggregateID)) == Set(accepted.map { $0.uuidString.lowercased() }))
        }
    }
}
