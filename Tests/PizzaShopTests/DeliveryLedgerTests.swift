import Foundation
import Outbox
import PizzaShop
import PizzaTools
import Testing

@Suite struct DeliveryLedgerTests {
    static func event(_ order: String, _ seq: Int64, _ status: OutboxStatus = .completed) -> OutboxEvent {
        OutboxEvent(
            id: UUID(),
            seq: seq,
            aggregateType: "PizzaOrder",
            aggregateID: order,
            eventType: "E",
            payload: "{}",
            headers: [:],
            status: status,
            attempts: status == .failed ? 5 : 0,
            lastError: status == .failed ? "boom" : nil,
            availableAt: Date(),
            createdAt: Date(),
            publishedAt: nil
        )
    }

    static func delivery(_ event: OutboxEvent, _ group: String, _ position: Int64) -> DeliveryLedger.Delivery {
        .init(group: group, eventID: event.id.uuidString.lowercased(), orderID: event.aggregateID, position: position)
    }

    @Test func aCleanRunIsHealthy() {
        let events = [Self.event("o1", 1), Self.event("o2", 2), Self.event("o3", 3, .failed), Self.event("o4", 4, .pending)]
        let deliveries = [Self.delivery(events[0], "g", 1), Self.delivery(events[1], "g", 2)]
        let inbox = [DeliveryLedger.InboxRow(group: "g", eventID: deliveries[0].eventID, deliveryCount: 3)]
        let ledger = DeliveryLedger(orderIDs: ["o1", "o2", "o3", "o4"], events: events, deliveries: deliveries, inbox: inbox)
        #expect(ledger.isHealthy)
        #expect(ledger.completed == 2 && ledger.failed.count == 1 && ledger.pending == 1)
        #expect(ledger.groups == [.init(group: "g", delivered: 2, lost: 0, duplicateDeliveries: 2, duplicateEffects: 0, outOfOrder: 0)])
        #expect(ledger.table.contains("result: OK"))
        #expect(ledger.table.contains("error: boom"))
    }

    @Test func findsLostDuplicatedAndReorderedDeliveries() {
        let first = Self.event("o1", 1)
        let second = Self.event("o1", 2)
        let other = Self.event("o2", 3)
        let deliveries = [
            Self.delivery(second, "g", 1), Self.delivery(first, "g", 2),  // o1 applied out of order
            Self.delivery(second, "g", 3),  // a second effect
        ]
        let ledger = DeliveryLedger(
            orderIDs: ["o1", "o2", "o3"],
            events: [first, second, other],
            deliveries: deliveries,
            inbox: [],
            expectedGroups: ["g", "silent"]
        )
        let g = ledger.groups.first { $0.group == "g" }
        #expect(g?.lost == 2)  // o2's event, and o3 which has no event at all
        #expect(g?.duplicateEffects == 1)
        #expect(g?.outOfOrder == 1)
        #expect(ledger.groups.first { $0.group == "silent" }?.lost == 4)
        #expect(!ledger.isHealthy)
        #expect(ledger.table.contains("result: FAILED"))
    }

    @Test func parkedOrdersBlockOnlyTheirOwnLaterEvents() {
        let parked = Self.event("o1", 1, .failed)
        let waiting = Self.event("o1", 2, .pending)
        let flowing = Self.event("o2", 3)
        let inFlight = Self.event("o3", 4, .pending)
        let ledger = DeliveryLedger(
            orderIDs: ["o1", "o2", "o3"],
            events: [parked, waiting, flowing, inFlight],
            deliveries: [Self.delivery(flowing, "g", 1)],
            inbox: []
        )
        #expect(ledger.parkedOrders == ["o1"])
        #expect(ledger.blocked == 1 && ledger.inFlight == 1)
        #expect(ledger.isHealthy)
        #expect(ledger.table.contains("parked orders          1"))
    }

    @Test func ordersWhoseEventsRetentionDeletedAreNotLost() {
        // o1's events were delivered and later deleted by retention; o2 never had an event.
        let gone = Self.event("o1", 1)
        let ledger = DeliveryLedger(orderIDs: ["o1", "o2"], events: [], deliveries: [Self.delivery(gone, "g", 1)], inbox: [])
        #expect(ledger.groups.first?.lost == 1)
    }
}
