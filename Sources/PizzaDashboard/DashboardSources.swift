import Outbox
import PizzaShop

/// What a dashboard reads: the outbox store (always), the orders, the broker's topic, and the
/// consumers' database. Each part but the store may be missing; the page then leaves its panels out.
public struct DashboardSources: Sendable {
    /// The producer's outbox.
    public var store: any OutboxStore
    /// The orders, for an order's timeline.
    public var orders: (any PizzaOrderRepository)?
    /// The topic the relay publishes to.
    public var topic: String
    /// The broker's view of the topic: published count, consumer groups.
    public var monitor: (any TopicMonitor)?
    /// The consumers' database: effects and latency.
    public var effects: (any EffectReader)?
    /// Consumer groups to look up effects in when the broker cannot list them.
    public var groups: [String]

    /// Sources for a dashboard.
    public init(
        store: any OutboxStore,
        orders: (any PizzaOrderRepository)? = nil,
        topic: String = "pizza-orders",
        monitor: (any TopicMonitor)? = nil,
        effects: (any EffectReader)? = nil,
        groups: [String] = []
    ) {
        self.store = store
        self.orders = orders
        self.topic = topic
        self.monitor = monitor
        self.effects = effects
        self.groups = groups
    }
}
