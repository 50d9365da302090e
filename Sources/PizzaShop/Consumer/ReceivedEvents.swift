import Foundation
import Outbox
import Synchronization

/// What one consumer received, newest kept up to `capacity`; counts cover everything.
public final class ReceivedEvents: Sendable {
    /// One received envelope, kept as the text that arrived.
    public struct Entry: Sendable {
        public var receivedAt: Date
        public var body: String
    }

    /// The counters `GET /stats` shows.
    public struct Stats: Sendable, Codable, Equatable {
        public var received: Int
        public var firstAt: Date?
        public var lastAt: Date?

        enum CodingKeys: String, CodingKey {
            case received
            case firstAt = "first_at"
            case lastAt = "last_at"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(received, forKey: .received)
            try container.encode(firstAt, forKey: .firstAt)
            try container.encode(lastAt, forKey: .lastAt)
        }
    }

    private struct State {
        var entries: [Entry] = []
        var start = 0
        var stats = Stats(received: 0, firstAt: nil, lastAt: nil)
    }

    public let capacity: Int
    private let state = Mutex(State())
    private let subscribed = Atomic<Bool>(false)

    /// Whether the subscription is established now (the consumer's readiness).
    public var isSubscribed: Bool {
        get { subscribed.load(ordering: .acquiring) }
        set { subscribed.store(newValue, ordering: .releasing) }
    }

    public init(capacity: Int = 100_000) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Records an arrival.
    public func record(_ body: String, at date: Date = Date()) {
        state.withLock { state in
            let entry = Entry(receivedAt: date, body: body)
            // A ring buffer: the oldest entry is overwritten once full.
            if state.entries.count < capacity {
                state.entries.append(entry)
            } else {
                state.entries[state.start] = entry
                state.start = (state.start + 1) % capacity
            }
            state.stats.received += 1
            state.stats.firstAt = state.stats.firstAt ?? date
            state.stats.lastAt = date
        }
    }

    /// The newest `limit` entries, newest first.
    public func newest(_ limit: Int) -> [Entry] {
        state.withLock { state in
            let count = min(limit, state.entries.count)
            return (0..<count).map { offset in
                let index = (state.start + state.entries.count - 1 - offset) % state.entries.count
                return state.entries[index]
            }
        }
    }

    public var stats: Stats { state.withLock { $0.stats } }
}
