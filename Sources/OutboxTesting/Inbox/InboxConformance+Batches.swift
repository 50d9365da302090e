import Foundation
import Outbox
import Testing

extension InboxConformance {
    /// Batches: applied in order in one transaction where the store allows it, all or nothing.
    static let batches: [InboxConformanceCase] = [
        .init("batchAppliesInOrderAndRefusesWhatComesTooEarly", area: "batches") { try await batchAppliesInOrderAndRefusesWhatComesTooEarly($0) },
        .init("failedBatchEffectRecordsNothing", area: "batches") { try await failedBatchEffectRecordsNothing($0) },
    ]

    static func batchAppliesInOrderAndRefusesWhatComesTooEarly(_ harness: some InboxHarness) async throws {
        try await harness.withInbox { (inbox) async throws in
            let effects = Effects()
            func id() -> String { UUID().uuidString.lowercased() }
            let applied = InboxMessage(eventID: id(), group: "g", aggregateID: "o0")
            try await inbox.receive(applied) { _ in effects.add(applied.eventID) }
            let first = InboxMessage(eventID: id(), group: "g", aggregateID: "o1")
            // Its previous event is earlier in the same batch.
            let second = InboxMessage(eventID: id(), group: "g", aggregateID: "o1", previousEventID: first.eventID)
            let missing = id()
            let early = InboxMessage(eventID: id(), group: "g", aggregateID: "o2", previousEventID: missing)
            let afterEarly = InboxMessage(eventID: id(), group: "g", aggregateID: "o2", previousEventID: early.eventID)
            let outcomes = try await inbox.receive(batch: [first, second, early, applied, afterEarly, first]) { _, messages in
                for message in messages { effects.add(message.eventID) }
            }
            #expect(
                outcomes == [
                    .processed, .processed, .outOfOrder(waitingFor: missing), .duplicate(deliveryCount: 2),
                    .outOfOrder(waitingFor: early.eventID), .duplicate(deliveryCount: 2),
                ]
            )
            #expect(effects.all == [applied.eventID, first.eventID, second.eventID])
            // Repeats are found without any previous event to look up, too.
            #expect(
                try await inbox.receive(batch: [applied, first]) { _, messages in
                    for message in messages { effects.add(message.eventID) }
                } == [.duplicate(deliveryCount: 3), .duplicate(deliveryCount: 3)]
            )
            // Nothing of the refused ones was recorded: they apply once their previous event has.
            #expect(
                try await inbox.receive(
                    batch: [early, afterEarly].map {
                        var m = $0
                        m.previousEventID = nil
                        return m
                    }
                ) { _, messages in
                    for message in messages { effects.add(message.eventID) }
                } == [.processed, .processed]
            )
            #expect(effects.all == [applied.eventID, first.eventID, second.eventID, early.eventID, afterEarly.eventID])
        }
    }

    static func failedBatchEffectRecordsNothing(_ harness: some InboxHarness) async throws {
        try await harness.withInbox { (inbox) async throws in
            let effects = Effects()
            func id() -> String { UUID().uuidString.lowercased() }
            let messages = [id(), id()].map { InboxMessage(eventID: $0, group: "g", aggregateID: "o1") }
            await #expect(throws: (any Error).self) {
                _ = try await inbox.receive(batch: messages) { _, _ in throw EffectFailed() }
            }
            #expect(
                try await inbox.receive(batch: messages) { _, applied in
                    for message in applied { effects.add(message.eventID) }
                } == [.processed, .processed]
            )
            #expect(effects.all == messages.map(\.eventID))
        }
    }
}
