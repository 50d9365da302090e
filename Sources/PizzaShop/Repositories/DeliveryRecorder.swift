import Foundation
import Outbox

/// The consumer's effect for the pizza shop — record the order as delivered to this group — applied
/// once per event through an inbox, and read back for the delivery ledger.
public protocol DeliveryRecorder: Sendable {
    /// Records one delivery of `envelope` to `group`; a repeat is counted, never applied twice. With
    /// `checkOrder`, an event whose `previousid` has not taken effect yet is refused (`.outOfOrder`).
    func record(_ envelope: Envelope, group: String, checkOrder: Bool) async throws -> InboxOutcome
    /// Records a batch of deliveries in order, each as `record(_:group:checkOrder:)` would (an event
    /// may follow its previous event in the same batch); one transaction where the store allows it.
    func record(batch envelopes: [Envelope], group: String, checkOrder: [Bool]) async throws -> [InboxOutcome]
    /// Every applied effect, in the order they were applied.
    func deliveries() async throws -> [DeliveryRecord]
    /// The inbox: how often each event reached each group.
    func inbox() async throws -> [InboxRecord]
}

extension DeliveryRecorder {
    /// One delivery at a time.
    public func record(batch envelopes: [Envelope], group: String, checkOrder: [Bool]) async throws -> [InboxOutcome] {
        var outcomes: [InboxOutcome] = []
        for (envelope, check) in zip(envelopes, checkOrder) {
            outcomes.append(try await record(envelope, group: group, checkOrder: check))
        }
        return outcomes
    }
}

/// What the producer side knows, for the delivery ledger.
public protocol ProducerLedgerSource: Sendable {
    /// Ids of every stored order.
    func orderIDs() async throws -> [String]
    /// Every outbox event, in sequence order.
    func outboxEvents() async throws -> [OutboxEvent]
}

/// One effect a consumer group applied, read back for the delivery ledger.
public struct DeliveryRecord: Sendable, Equatable {
    public var group: String
    public var eventID: String
    public var orderID: String
    /// Order in which the effect was applied.
    public var position: Int64

    public init(group: String, eventID: String, orderID: String, position: Int64) {
        self.group = group
        self.eventID = eventID
        self.orderID = orderID
        self.position = position
    }
}

/// How often one event reached one consumer group, as its inbox counted.
public struct InboxRecord: Sendable, Equatable {
    public var group: String
    public var eventID: String
    public var deliveryCount: Int

    public init(group: String, eventID: String, deliveryCount: Int) {
        self.group = group
        self.eventID = eventID
        self.deliveryCount = deliveryCount
    }
}
