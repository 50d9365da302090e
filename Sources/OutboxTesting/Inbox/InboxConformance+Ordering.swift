import Foundation
import Outbox
import Testing

extension InboxConformance {
    /// In order per aggregate: an event waits for its aggregate's previous event.
    static let ordering: [InboxConformanceCase] = [
        .init("eventWaitsForItsPreviousEvent", area: "ordering") { try await eventWaitsForItsPreviousEvent($0) }
    ]

    static func eventWaitsForItsPreviousEvent(_ harness: some InboxHarness) async throws {
        try await harness.withInbox { (inbox) async throws in
            let effects = Effects()
            func id() -> String { UUID().uuidString.lowercased() }
            let first = InboxMessage(eventID: id(), group: "g", aggregateID: "o1")
            let second = InboxMessage(eventID: id(), group: "g", aggregateID: "o1", previousEventID: first.eventID)
            // Too early: refused, nothing recorded, no effect.
            #expect(try await inbox.receive(second) { _ in effects.add(second.eventID) } == .outOfOrder(waitingFor: first.eventID))
            #expect(try await inbox.receive(second) { _ in effects.add(second.eventID) } == .outOfOrder(waitingFor: first.eventID))
            #expect(try await inbox.receive(first) { _ in effects.add(first.eventID) } == .processed)
            // Its first accepted delivery counts as the first.
            #expect(try await inbox.receive(second) { _ in effects.add(second.eventID) } == .processed)
            #expect(effects.all == [first.eventID, second.eventID])
        }
    }
}
