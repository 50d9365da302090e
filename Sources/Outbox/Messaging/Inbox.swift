import Foundation

/// One delivery as the consumer's inbox records it.
public struct InboxMessage: Sendable, Equatable {
    /// The event id (the envelope's `id`): the de-duplication key within a group.
    public var eventID: String
    /// The consumer group that processes it.
    public var group: String
    /// The aggregate (order) the event is about.
    public var aggregateID: String
    /// The aggregate's previous event (the envelope's `previousid`): when set, this event takes
    /// effect only after that one has in the same group. Nil applies it without the check.
    public var previousEventID: String?

    /// A delivery of event `eventID` of aggregate `aggregateID` to consumer group `group`.
    public init(eventID: String, group: String, aggregateID: String, previousEventID: String? = nil) {
        self.eventID = eventID
        self.group = group
        self.aggregateID = aggregateID
        self.previousEventID = previousEventID
    }
}

/// What the inbox made of a delivery.
public enum InboxOutcome: Sendable, Equatable {
    /// First delivery: the effect ran and committed with the inbox record.
    case processed
    /// A repeat: the effect did not run again; `deliveryCount` counts every delivery so far.
    case duplicate(deliveryCount: Int)
    /// The aggregate's previous event has not taken effect in this group yet: nothing was recorded
    /// and the effect did not run; deliver the event again later.
    case outOfOrder(waitingFor: String)
}

/// Consumer-side de-duplication: records each event id once per group, in the same transaction as
/// the consumer's effect, so that redelivery (at-least-once) takes effect once.
public protocol Inbox: Sendable {
    /// The driver's transaction handle the effect writes through.
    associatedtype Transaction

    /// Records the delivery and, on the first one only — and once the previous event of its aggregate
    /// took effect — runs `effect` in the same transaction. The effect escapes: a driver may run it
    /// in a task of its own, so that a deadline can answer the caller while a lost query never returns.
    func receive(_ message: InboxMessage, effect: @escaping @Sendable (Transaction) async throws -> Void) async throws -> InboxOutcome

    /// Records a batch, each message as `receive(_:effect:)` would and in order (a message may follow
    /// its previous event in the same batch). `effect` gets the messages that take effect now, in
    /// batch order. Drivers that can do so record the whole batch in one transaction, so a failing
    /// effect records none of it; the default applies one message per transaction.
    func receive(
        batch messages: [InboxMessage],
        effect: @escaping @Sendable (Transaction, [InboxMessage]) async throws -> Void
    ) async throws -> [InboxOutcome]
}

extension Inbox {
    /// One delivery at a time, each in its own transaction (drivers that can do better override it).
    public func receive(
        batch messages: [InboxMessage],
        effect: @escaping @Sendable (Transaction, [InboxMessage]) async throws -> Void
    ) async throws -> [InboxOutcome] {
        var outcomes: [InboxOutcome] = []
        outcomes.reserveCapacity(messages.count)
        for message in messages {
            outcomes.append(try await receive(message) { transaction in try await effect(transaction, [message]) })
        }
        return outcomes
    }
}
