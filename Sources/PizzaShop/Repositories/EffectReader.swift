import Foundation

/// One event's effect in one consumer group, as the consumer's database holds it.
public struct AppliedEffect: Sendable, Equatable {
    /// The consumer group.
    public var group: String
    /// The event's id (lowercase UUID).
    public var eventID: String
    /// The order (aggregate) the event belongs to.
    public var orderID: String
    /// When the effect committed (the inbox row's first delivery).
    public var appliedAt: Date
    /// How often the event reached the group; more than 1 means duplicates were recognised.
    public var deliveryCount: Int

    /// An effect as a consumer database holds it.
    public init(group: String, eventID: String, orderID: String, appliedAt: Date, deliveryCount: Int) {
        self.group = group
        self.eventID = eventID
        self.orderID = orderID
        self.appliedAt = appliedAt
        self.deliveryCount = deliveryCount
    }
}

/// Effects applied after a position, each with its commit → effect latency.
public struct RecentEffects: Sendable, Equatable {
    /// The last position read: pass it back to read on from there.
    public var lastPosition: Int64
    /// Commit → effect, in seconds, per consumer group, in application order.
    public var latencies: [String: [Double]]

    /// Effects read up to `lastPosition`.
    public init(lastPosition: Int64, latencies: [String: [Double]]) {
        self.lastPosition = lastPosition
        self.latencies = latencies
    }
}

/// Reads the consumers' side for a dashboard: which groups applied an event, an order's effects,
/// and how long recent effects took. Every read is an index lookup or a bounded index range.
public protocol EffectReader: Sendable {
    /// The effects of these events in these groups.
    func effects(eventIDs: [String], groups: [String]) async throws -> [AppliedEffect]
    /// The effects of one order's events in these groups, in application order.
    func effects(orderID: String, groups: [String]) async throws -> [AppliedEffect]
    /// Up to `limit` effects applied after `position`; with nil, none, only the last position (a
    /// monitor's first look).
    func recentEffects(afterPosition position: Int64?, limit: Int) async throws -> RecentEffects
}
