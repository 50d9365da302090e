import Foundation
import Outbox

/// The consumer's effect for the pizza shop — record the order as delivered to this group — applied
/// once per event through an inbox, and read back for the delivery ledger.
public protocol DeliveryRecorder: Sendable {
    /// Records one delivery of `envelope` to `group`; a repeat is counted, never applied twice. With
    /// `checkOrder`, an event whose `previousid` has not taken effect yet is refused (`.outOfOrder`).
    func record(_ envelope: Envelope, group: String, checkOrder: Bool) async throws -> InboxOutcome
    /// Every applied effect, in the order they were applied.
    func deliveries() async throws -> [DeliveryLedger.Delivery]
    /// The inbox: how often each event reached each group.
    func inbox() async throws -> [DeliveryLedger.InboxRow]
}

/// What the producer side knows, for the delivery ledger.
public protocol ProducerLedgerSource: Sendable {
    /// Ids of every stored order.
    func orderIDs() async throws -> [String]
    /// Every outbox event, in sequence order.
    func outboxEvents() async throws -> [OutboxEvent]
}
