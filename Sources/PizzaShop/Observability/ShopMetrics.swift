import CoreMetrics
import Foundation
import Hummingbird
import Outbox
import Prometheus

/// The pizza shop's metrics, in Prometheus conventions (`_total` counters, base units), made by an
/// explicit factory so that tests can read them from their own registry.
public struct ShopMetrics: Sendable {
    let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// What each metric of the shop measures, by name: the `# HELP` line of a Prometheus page.
    public static let help: [String: String] = [
        "pizza_orders_accepted_total": "Orders stored with their PizzaOrderCreated event (201 answers).",
        "pizza_orders_replayed_total": "Orders answered again for a repeated Idempotency-Key, nothing stored.",
        "pizza_orders_rejected_total": "Order requests refused with a 4xx answer, by error code.",
        "pizza_order_status_changes_total": "Status changes stored with their OrderStatusChanged event, by new status.",
        "consumer_events_received_total": "Events a consumer received from the broker, duplicates included, by group.",
        "consumer_duplicate_deliveries_total": "Deliveries the inbox recognised as already applied, by group.",
        "consumer_events_out_of_order_total": "Deliveries that arrived before their order's previous event took effect, by group.",
        "consumer_order_redeliveries_total": "Events handed back to the broker after waiting too long for their previous event, by group.",
        "consumer_events_acked_total": "Events a consumer applied (or found applied) and acknowledged, by group.",
        "consumer_end_to_end_latency_seconds": "From the event's commit to its effect committed by the consumer, by group.",
        "outbox_events": "Events in the outbox table by status, read when /metrics is scraped.",
        "outbox_oldest_pending_age_seconds": "Age of the oldest pending event, read when /metrics is scraped (0 when none).",
    ]

    /// A shop whose metrics go nowhere.
    public static let disabled = ShopMetrics(factory: NOOPMetricsHandler.instance)

    func orderAccepted() { Counter(label: "pizza_orders_accepted_total", factory: factory).increment() }
    func orderReplayed() { Counter(label: "pizza_orders_replayed_total", factory: factory).increment() }
    func orderRejected(reason: String) {
        Counter(label: "pizza_orders_rejected_total", dimensions: [("reason", reason)], factory: factory).increment()
    }
    func statusChanged(to status: OrderStatus) {
        Counter(label: "pizza_order_status_changes_total", dimensions: [("status", status.rawValue)], factory: factory).increment()
    }

    func consumerReceived(group: String) {
        Counter(label: "consumer_events_received_total", dimensions: [("group", group)], factory: factory).increment()
    }
    func consumerDuplicate(group: String) {
        Counter(label: "consumer_duplicate_deliveries_total", dimensions: [("group", group)], factory: factory).increment()
    }
    /// An event arrived before its order's previous event had taken effect (it waits, then is redelivered).
    func consumerOutOfOrder(group: String) {
        Counter(label: "consumer_events_out_of_order_total", dimensions: [("group", group)], factory: factory).increment()
    }
    /// An event given back to the broker because its order's previous event had not taken effect in time.
    func consumerOrderRedelivery(group: String) {
        Counter(label: "consumer_order_redeliveries_total", dimensions: [("group", group)], factory: factory).increment()
    }
    func consumerAcknowledged(group: String) {
        Counter(label: "consumer_events_acked_total", dimensions: [("group", group)], factory: factory).increment()
    }
    /// From the event's `time` (its commit) to the consumer's effect committed.
    func endToEndLatency(group: String, since time: Date) {
        let seconds = max(0, Date().timeIntervalSince(time))
        Timer(label: "consumer_end_to_end_latency_seconds", dimensions: [("group", group)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Outbox counts per status and the oldest pending event's age, as gauges (set when scraped).
    func outbox(_ stats: OutboxStats) {
        for (status, count) in [("pending", stats.pending), ("completed", stats.completed), ("failed", stats.failed)] {
            Gauge(label: "outbox_events", dimensions: [("status", status)], factory: factory).record(count)
        }
        Gauge(label: "outbox_oldest_pending_age_seconds", factory: factory).record(stats.oldestPendingAgeSeconds ?? 0)
    }
}

/// `GET /metrics` in the Prometheus text format; `refresh` updates scrape-time gauges first.
public struct MetricsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry
    let refresh: @Sendable () async -> Void

    public init(registry: PrometheusCollectorRegistry, refresh: @escaping @Sendable () async -> Void = {}) {
        self.registry = registry
        self.refresh = refresh
    }

    /// Gauges of the outbox behind `store`, refreshed on every scrape (a failed read keeps the last values).
    public static func refreshingOutbox(_ store: any OutboxStore, metrics: ShopMetrics) -> @Sendable () async -> Void {
        { if let stats = try? await store.stats() { metrics.outbox(stats) } }
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("metrics") { _, _ in
            await refresh()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
    }
}
