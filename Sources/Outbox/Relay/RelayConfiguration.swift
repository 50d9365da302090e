import Foundation

/// How a `Relay` claims, processes and publishes.
public struct RelayConfiguration: Sendable {
    /// Topic (Redis channel or stream) the envelopes go to.
    public var topic: String
    /// CloudEvents `source` of the envelopes.
    public var source: String
    /// Most events claimed per batch.
    public var batchSize: Int
    /// Longest wait between two claims when no wake-up arrives (wake-ups can be lost).
    public var pollInterval: Duration
    /// How long a claim keeps other relays away; must exceed the time a batch takes.
    public var leaseDuration: Duration
    /// Backoff and attempt cap for failed events.
    public var retryPolicy: RetryPolicy
    /// Backoff for the relay itself when the store or broker is unreachable.
    public var outageBackoff: RetryPolicy
    /// Identity of this relay in leases and logs.
    public var owner: String
    /// Batches in flight at once: while one is published, the next is claimed. Each claim skips
    /// events the others hold and never overtakes an unfinished earlier event of an aggregate, so
    /// order per aggregate holds as it does across several relays.
    public var concurrentBatches: Int
    /// How long a relay woken by a commit waits before it claims, so that commits landing meanwhile
    /// share its batch (as Kafka producers' `linger.ms`): fewer claims, publishes and marks per
    /// event at moderate rates, for up to this much more latency. Zero claims at once.
    public var linger: Duration
    /// How long a relay that published a batch (and has no more due) waits for the next commit, so
    /// that the claim it wakes for also marks the batch's events completed: one round trip for both.
    /// Past it, the relay marks them alone. The events are published either way; only their mark
    /// waits. Zero marks every batch at once.
    public var markDelay: Duration
    /// Runs after the broker confirmed a batch and before its outcomes are stored — the window in
    /// which a crash publishes events twice. For fault drills and tests; nil in production.
    public var afterPublish: (@Sendable (_ published: [OutboxEvent]) async -> Void)?

    /// A configuration; only the topic is required.
    public init(
        topic: String,
        source: String,
        batchSize: Int = 500,
        pollInterval: Duration = .seconds(1),
        leaseDuration: Duration = .seconds(60),
        retryPolicy: RetryPolicy = RetryPolicy(),
        outageBackoff: RetryPolicy = RetryPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(10), maxAttempts: .max),
        owner: String = RelayConfiguration.defaultOwner(),
        concurrentBatches: Int = 1,
        linger: Duration = .zero,
        markDelay: Duration = .milliseconds(50)
    ) {
        precondition(batchSize > 0, "batchSize must be positive")
        precondition(concurrentBatches > 0, "concurrentBatches must be positive")
        self.concurrentBatches = concurrentBatches
        self.linger = max(.zero, linger)
        self.markDelay = max(.zero, markDelay)
        self.topic = topic
        self.source = source
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.leaseDuration = leaseDuration
        self.retryPolicy = retryPolicy
        self.outageBackoff = outageBackoff
        self.owner = owner
    }

    /// `host:pid:random`, unique per process start.
    public static func defaultOwner() -> String {
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        return "\(host):\(pid):\(UInt32.random(in: 0...UInt32.max))"
    }
}
