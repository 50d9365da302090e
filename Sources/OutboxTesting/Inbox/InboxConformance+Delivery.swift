import Foundation
import Outbox
import Testing

extension InboxConformance {
    /// Once per group: repeats are duplicates, a failed effect records nothing, groups are independent.
    static let delivery: [InboxConformanceCase] = [
        .init("racingRepeatsTakeEffectOnce", area: "delivery") { try await racingRepeatsTakeEffectOnce($0) },
        .init("failedEffectIsNotRecorded", area: "delivery") { try await failedEffectIsNotRecorded($0) },
        .init("groupsAreIndependent", area: "delivery") { try await groupsAreIndependent($0) },
        .init("repeatOfAnAppliedEventIsADuplicateEvenWithoutItsPrevious", area: "delivery") {
            try await repeatOfAnAppliedEventIsADuplicateEvenWithoutItsPrevious($0)
        },
    ]

    static func racingRepeatsTakeEffectOnce(_ harness: some InboxHarness) async throws {
        try await harness.withInbox { (inbox) async throws in
            let effects = Effects()
            func id() -> String { UUID().uuidString.lowercased() }
            let message = InboxMessage(eventID: id(), group: "g", aggregateID: "o1")
            let outcomes = try await withThrowingTaskGroup(of: InboxOutcome.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await inbox.receive(message) { _ in effects.add(message.eventID) } }
                }
                var all: [InboxOutcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            #expect(effects.all == [message.eventID])
            #expect(outcomes.count { $0 == .processed } == 1)
            #expect(outcomes.contains(.duplicate(deliveryCount: 10)))
        }
    }

    static func failedEffectIsNotRecorded(_ harness: some InboxHarness) async throws {
        try await harness.withInbox { (inbox) async throws in
            let effects = Effects()
            func id() -> String { UUID().uuidString.lowercased() }
            let message = InboxMessage(eventID: id(), group: "g", aggregateID: "o1")
            await #expect(throws: (any Error).self) { _ = try await inbox.receive(message) { _ in throw EffectFailed() } }
            #expect(try await inbox.receive(message) { _ in effects.add(message.eventID) } == .processed)
            #expect(effects.all == [message.eventID])
        }
    }

    static func groupsAreIndependent(_ harness: some InboxHarness) async throws {
        try await harness.withInbox { (inbox) async throws in
            let effects = Effects()
            func id() -> String { UUID().uuidString.lowercased() }
            let first = InboxMessage(eventID: id(), group: "a", aggregateID: "o1")
            try await inbox.receive(first) { _ in effects.add("a") }
            var second = InboxMessage(eventID: id(), group: "b", aggregateID: "o1", previousEventID: first.eventID)
            #expect(try await inbox.receive(second) { _ in effects.add("b") } == .outOfOrder(waitingFor: first.eventID))
            second.group = "a"
            #expect(try await inbox.receive(second) { _ in effects.add("a2") } == .processed)
            #expect(effects.all == ["a", "a2"])
        }
    }

    static func repeatOfAnAppliedEventIsADuplicateEvenWithoutItsPrevious(_ harness: some InboxHarness) async throws {
        try await harness.withInbox { (inbox) async throws in
            let effects = Effects()
            func id() -> String { UUID().uuidString.lowercased() }
            // Applied across a gap (its previous event never arrived); a redelivery must not wait.
            let missing = id()
            let event = InboxMessage(eventID: id(), group: "g", aggregateID: "o1")
            #expect(try await inbox.receive(event) { _ in effects.add(event.eventID) } == .processed)
            var again = event
            again.previousEventID = missing
            #expect(try await inbox.receive(again) { _ in effects.add(event.eventID) } == .duplicate(deliveryCount: 2))
            #expect(effects.all == [event.eventID])
        }
    }
}
