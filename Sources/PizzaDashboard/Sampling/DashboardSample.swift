import Foundation
import Outbox

/// One second of the system as the dashboard's sampler saw it.
public struct DashboardSample: Sendable, Equatable, Codable {
    /// When it was read (seconds since 1970).
    public var time: Double
    /// Orders stored per second since the previous sample.
    public var ordersPerSecond: Double?
    /// Events stored per second since the previous sample.
    public var eventsPerSecond: Double?
    /// Messages the broker took per second since the previous sample.
    public var publishedPerSecond: Double?
    /// Pending events (up to `countLimit`).
    public var pending: Int
    /// Failed (parked) events (up to `countLimit`).
    public var failed: Int
    /// Completed events: the total less pending and failed.
    public var completed: Int
    /// Whether `completed` comes from the database's row estimate.
    public var completedIsEstimate: Bool
    /// The limit counts stop at.
    public var countLimit: Int
    /// Age of the oldest pending event, nil when none is pending.
    public var oldestPendingAgeSeconds: Double?
    /// Commit → effect over the effects of this second, all groups (nil without effects).
    public var latencyP50: Double?
    /// The 99th percentile of the same.
    public var latencyP99: Double?
    /// Effects applied in this second.
    public var effects: Int
    /// The topic's consumer groups (and groups seen only in the consumers' database), by name.
    public var groups: [GroupSample]
    /// What could not be read this time (the other figures are still shown).
    public var errors: [String]

    /// One consumer group in a sample.
    public struct GroupSample: Sendable, Equatable, Codable {
        /// The group's name.
        public var name: String
        /// Messages the group has read (nil when the broker does not say).
        public var delivered: Int?
        /// Messages published and not read by the group yet (nil when the broker cannot tell).
        public var lag: Int?
        /// Messages delivered to a member and not acknowledged.
        public var pending: Int
        /// Members of the group.
        public var members: Int
        /// Idle time of the group's most recently active member.
        public var idleSeconds: Double?
        /// Commit → effect in this group over this second's effects: median.
        public var latencyP50: Double?
        /// The same, 99th percentile.
        public var latencyP99: Double?

        enum CodingKeys: String, CodingKey {
            case name, delivered, lag, pending, members
            case idleSeconds = "idle_seconds"
            case latencyP50 = "latency_p50"
            case latencyP99 = "latency_p99"
        }
    }

    enum CodingKeys: String, CodingKey {
        case time
        case ordersPerSecond = "orders_per_second"
        case eventsPerSecond = "events_per_second"
        case publishedPerSecond = "published_per_second"
        case pending, failed, completed
        case completedIsEstimate = "completed_is_estimate"
        case countLimit = "count_limit"
        case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        case latencyP50 = "latency_p50"
        case latencyP99 = "latency_p99"
        case effects, groups, errors
    }

    /// The `q` quantile of sorted values (nearest rank), nil when there are none.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
