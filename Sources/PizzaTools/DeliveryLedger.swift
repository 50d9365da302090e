import Foundation
import Outbox
import PizzaShop

/// The promise, checked: every published event reached every consumer group, took effect once, and
/// in commit order per order. Built from the producer's outbox and the consumers' tables.
public struct DeliveryLedger: Sendable {
    /// One applied effect (from the consumers' side).
    public typealias Delivery = DeliveryRecord
    /// How often one event reached one group.
    public typealias InboxRow = InboxRecord

    public struct GroupLine: Sendable, Equatable {
        public var group: String
        /// Distinct events whose effect was applied in this group.
        public var delivered: Int
        /// Published events (or stored orders without any event) this group never got.
        public var lost: Int
        /// Deliveries beyond the first, absorbed by the inbox.
        public var duplicateDeliveries: Int
        /// Effects applied more than once for one event.
        public var duplicateEffects: Int
        /// Events applied after a later event of the same order.
        public var outOfOrder: Int

        public init(group: String, delivered: Int, lost: Int, duplicateDeliveries: Int, duplicateEffects: Int, outOfOrder: Int) {
            self.group = group
            self.delivered = delivered
            self.lost = lost
            self.duplicateDeliveries = duplicateDeliveries
            self.duplicateEffects = duplicateEffects
            self.outOfOrder = outOfOrder
        }
    }

    public var orders: Int
    public var events: Int
    public var completed: Int
    public var failed: [OutboxEvent]
    public var pending: Int
    /// Pending events that wait behind a failed event of their order (they move once it is retried).
    public var blocked: Int
    /// Orders with a parked (failed) event: their later events wait, other orders flow.
    public var parkedOrders: [String]
    public var groups: [GroupLine]

    /// Pending events that are not blocked: still on their way.
    public var inFlight: Int { pending - blocked }

    /// Nothing lost, no duplicate effect, nothing out of order.
    public var isHealthy: Bool {
        groups.allSatisfy { $0.lost == 0 && $0.duplicateEffects == 0 && $0.outOfOrder == 0 }
    }

    public init(orderIDs: [String], events: [OutboxEvent], deliveries: [Delivery], inbox: [InboxRow], expectedGroups: [String] = []) {
        self.orders = orderIDs.count
        self.events = events.count
        self.completed = events.count { $0.status == .completed }
        self.failed = events.filter { $0.status == .failed }
        self.pending = events.count { $0.status == .pending }
        var parked = Set<String>()
        var parkedOrders: [String] = []
        var blocked = 0
        for event in events.sorted(by: { $0.seq < $1.seq }) {
            if event.status == .failed, parked.insert(event.aggregateID).inserted { parkedOrders.append(event.aggregateID) }
            if event.status == .pending, parked.contains(event.aggregateID) { blocked += 1 }
        }
        self.blocked = blocked
        self.parkedOrders = parkedOrders

        let seqByEvent = Dictionary(events.map { ($0.id.uuidString.lowercased(), $0.seq) }, uniquingKeysWith: { first, _ in first })
        let published = events.filter { $0.status == .completed }.map { $0.id.uuidString.lowercased() }
        let ordersWithEvents = Set(events.map(\.aggregateID))
        // An order without events either never got one (lost) or had them deleted by retention after
        // delivery; a group that applied something of the order tells the two apart.
        let ordersWithoutEvents = orderIDs.filter { !ordersWithEvents.contains($0) }
        let names = Set(expectedGroups).union(deliveries.map(\.group)).union(inbox.map(\.group)).sorted()

        self.groups = names.map { group in
            let mine = deliveries.filter { $0.group == group }
            var effects: [String: Int] = [:]
            for delivery in mine { effects[delivery.eventID, default: 0] += 1 }
            let deliveredOrders = Set(mine.map(\.orderID))
            // Per order, applied positions must follow the events' commit sequence.
            var outOfOrder = 0
            var lastSeq: [String: Int64] = [:]
            for delivery in mine.sorted(by: { $0.position < $1.position }) {
                guard let seq = seqByEvent[delivery.eventID] else { continue }
                if let previous = lastSeq[delivery.orderID], previous > seq { outOfOrder += 1 }
                lastSeq[delivery.orderID] = max(lastSeq[delivery.orderID] ?? seq, seq)
            }
            return GroupLine(
                group: group,
                delivered: effects.count,
                lost: published.count { effects[$0] == nil } + ordersWithoutEvents.count { !deliveredOrders.contains($0) },
                duplicateDeliveries: inbox.filter { $0.group == group }.reduce(0) { $0 + max(0, $1.deliveryCount - 1) },
                duplicateEffects: effects.values.reduce(0) { $0 + max(0, $1 - 1) },
                outOfOrder: outOfOrder
            )
        }
    }

    /// Reads both sides and builds the ledger.
    public static func read(
        producer: any ProducerLedgerSource,
        consumer: any DeliveryRecorder,
        expectedGroups: [String] = []
    ) async throws -> DeliveryLedger {
        async let orderIDs = producer.orderIDs()
        async let events = producer.outboxEvents()
        async let deliveries = consumer.deliveries()
        async let inbox = consumer.inbox()
        return try await DeliveryLedger(orderIDs: orderIDs, events: events, deliveries: deliveries, inbox: inbox, expectedGroups: expectedGroups)
    }

    /// The ledger as one table, with failed events named.
    public var table: String {
        func row(_ cells: [String], _ widths: [Int]) -> String {
            zip(cells, widths).enumerated().map { index, pair in
                index == 0
                    ? pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: max(0, pair.1 - pair.0.count)) + pair.0
            }.joined(separator: "  ")
        }
        var lines = ["delivery ledger"]
        lines.append("  orders                 \(orders)")
        lines.append("  events                 \(events)")
        lines.append("    completed            \(completed)")
        lines.append("    failed               \(failed.count)")
        lines.append("    pending (in flight)  \(inFlight)")
        lines.append("    pending (blocked)    \(blocked)")
        lines.append("  parked orders          \(parkedOrders.count)")
        let widths = [16, 9, 4, 14, 11, 12]
        lines.append("  " + row(["group", "delivered", "lost", "dup-deliveries", "dup-effects", "out-of-order"], widths))
        if groups.isEmpty { lines.append("  (no consumer group has recorded anything)") }
        for group in groups {
            lines.append(
                "  "
                    + row(
                        [
                            group.group, "\(group.delivered)", "\(group.lost)", "\(group.duplicateDeliveries)",
                            "\(group.duplicateEffects)", "\(group.outOfOrder)",
                        ],
                        widths
                    )
            )
        }
        if !failed.isEmpty {
            lines.append("failed events (parked after their last attempt, with their orders' later events waiting;")
            lines.append("  `pizza outbox retry <event>` or POST /admin/outbox/{id}/retry requeues one):")
            for event in failed.prefix(20) {
                lines.append(
                    "  event \(event.id.uuidString.lowercased())  order \(event.aggregateID)  attempts \(event.attempts)  error: \(event.lastError ?? "-")"
                )
            }
            if failed.count > 20 { lines.append("  … and \(failed.count - 20) more") }
        }
        lines.append(
            isHealthy
                ? "result: OK — nothing lost, no duplicate effect, nothing out of order"
                : "result: FAILED — see lost, dup-effects and out-of-order above"
        )
        return lines.joined(separator: "\n")
    }
}
