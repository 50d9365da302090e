import Foundation
import Outbox
import Synchronization
import Testing

/// Gives the inbox conformance suite fresh, empty inboxes of one driver.
public protocol InboxHarness: Sendable {
    associatedtype Subject: Inbox
    /// Runs `body` with a new empty inbox, cleaning up afterwards.
    func withInbox(_ body: (Subject) async throws -> Void) async throws
}

/// The contract every `Inbox` keeps: once per group, in order per aggregate, nothing recorded when
/// the effect fails.
public enum InboxConformance: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case racingRepeatsTakeEffectOnce
    case failedEffectIsNotRecorded
    case eventWaitsForItsPreviousEvent
    case groupsAreIndependent
    case repeatOfAnAppliedEventIsADuplicateEvenWithoutItsPrevious
    case batchAppliesInOrderAndRefusesWhatComesTooEarly
    case failedBatchEffectRecordsNothing

    public var testDescription: String { rawValue }

    public func run<H: InboxHarness>(_ harness: H) async throws {
        try await harness.withInbox { inbox in try await check(inbox) }
    }

    struct EffectFailed: Error {}

    private func check<I: Inbox>(_ inbox: I) async throws {
        let effects = Effects()
        func id() -> String { UUID().uuidString.lowercased() }
        switch self {
        case .racingRepeatsTakeEffectOnce:
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

        case .failedEffectIsNotRecorded:
            let message = InboxMessage(eventID: id(), group: "g", aggregateID: "o1")
            await #expect(throws: (any Error).self) { _ = try await inbox.receive(message) { _ in throw EffectFailed() } }
            #expect(try await inbox.receive(message) { _ in effects.add(message.eventID) } == .processed)
            #expect(effects.all == [message.eventID])

        case .eventWaitsForItsPreviousEvent:
            let first = InboxMessage(eventID: id(), group: "g", aggregateID: "o1")
            let second = InboxMessage(eventID: id(), group: "g", aggregateID: "o1", previousEventID: first.eventID)
            // Too early: refused, nothing recorded, no effect.
            #expect(try await inbox.receive(second) { _ in effects.add(second.eventID) } == .outOfOrder(waitingFor: first.eventID))
            #expect(try await inbox.receive(second) { _ in effects.add(second.eventID) } == .outOfOrder(waitingFor: first.eventID))
            #expect(try await inbox.receive(first) { _ in effects.add(first.eventID) } == .processed)
            // Its first accepted delivery counts as the first.
            #expect(try await inbox.receive(second) { _ in effects.add(second.eventID) } == .processed)
            #expect(effects.all == [first.eventID, second.eventID])

        case .groupsAreIndependent:
            let first = InboxMessage(eventID: id(), group: "a", aggregateID: "o1")
            try await inbox.receive(first) { _ in effects.add("a") }
            var second = InboxMessage(eventID: id(), group: "b", aggregateID: "o1", previousEventID: first.eventID)
            #expect(try await inbox.receive(second) { _ in effects.add("b") } == .outOfOrder(waitingFor: first.eventID))
            second.group = "a"
            #expect(try await inbox.receive(second) { _ in effects.add("a2") } == .processed)
            #expect(effects.all == ["a", "a2"])

        case .repeatOfAnAppliedEventIsADuplicateEvenWithoutItsPrevious:
            // Applied across a gap (its previous event never arrived); a redelivery must not wait.
            let missing = id()
            let event = InboxMessage(eventID: id(), group: "g", aggregateID: "o1")
            #expect(try await inbox.receive(event) { _ in effects.add(event.eventID) } == .processed)
            var again = event
            again.previousEventID = missing
            #expect(try await inbox.receive(again) { _ in effects.add(event.eventID) } == .duplicate(deliveryCount: 2))
            #expect(effects.all == [event.eventID])

        case .batchAppliesInOrderAndRefusesWhatComesTooEarly:
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
            #expect(outcomes == [
                .processed, .processed, .outOfOrder(waitingFor: missing), .duplicate(deliveryCount: 2),
                .outOfOrder(waitingFor: early.eventID), .duplicate(deliveryCount: 2),
            ])
            #expect(effects.all == [applied.eventID, first.eventID, second.eventID])
            // Repeats are found without any previous event to look up, too.
            #expect(try await inbox.receive(batch: [applied, first]) { _, messages in
                for message in messages { effects.add(message.eventID) }
            } == [.duplicate(deliveryCount: 3), .duplicate(deliveryCount: 3)])
            // Nothing of the refused ones was recorded: they apply once their previous event has.
            #expect(try await inbox.receive(batch: [early, afterEarly].map { var m = $0; m.previousEventID = nil; return m }) { _, messages in
                for message in messages { effects.add(message.eventID) }
            } == [.processed, .processed])
            #expect(effects.all == [applied.eventID, first.eventID, second.eventID, early.eventID, afterEarly.eventID])

        case .failedBatchEffectRecordsNothing:
            let messages = [id(), id()].map { InboxMessage(eventID: $0, group: "g", aggregateID: "o1") }
            await #expect(throws: (any Error).self) {
                _ = try await inbox.receive(batch: messages) { _, _ in throw EffectFailed() }
            }
            #expect(try await inbox.receive(batch: messages) { _, applied in
                for message in applied { effects.add(message.eventID) }
            } == [.processed, .processed])
            #expect(effects.all == messages.map(\.eventID))
        }
    }
}

/// Effects run by the suite, in order.
final class Effects: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ name: String) { list.withLock { $0.append(name) } }
    var all: [String] { list.withLock { $0 } }
}
