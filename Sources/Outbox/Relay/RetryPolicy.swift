import Foundation

/// Exponential backoff with jitter and an attempt cap, for events and for reconnects.
public struct RetryPolicy: Sendable, Equatable {
    /// Delay before the first retry.
    public var initialDelay: Duration
    /// Upper bound of any delay.
    public var maxDelay: Duration
    /// Growth factor per attempt.
    public var multiplier: Double
    /// Fraction of the delay that is randomised (0 = none, 1 = "full jitter").
    public var jitter: Double
    /// Attempts after which an event is parked as `failed`.
    public var maxAttempts: Int

    /// Delays from `initialDelay`, doubling up to `maxDelay`, with jitter; `maxAttempts` attempts in all.
    public init(
        initialDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(300),
        multiplier: Double = 2,
        jitter: Double = 0.2,
        maxAttempts: Int = 10
    ) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        precondition(multiplier >= 1, "multiplier must be at least 1")
        precondition((0...1).contains(jitter), "jitter must be within 0...1")
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
        self.maxAttempts = maxAttempts
    }

    /// The delay without jitter after the `attempt`-th failure (1-based).
    public func baseDelay(afterAttempt attempt: Int) -> Duration {
        let exponent = Double(max(0, attempt - 1))
        let seconds = initialDelay.seconds * pow(multiplier, exponent)
        return .seconds(min(seconds, maxDelay.seconds))
    }

    /// The delay after the `attempt`-th failure, with jitter drawn from `generator`:
    /// uniformly within `[base * (1 - jitter), base]`, so it never exceeds `maxDelay`.
    public func delay<G: RandomNumberGenerator>(afterAttempt attempt: Int, using generator: inout G) -> Duration {
        let base = baseDelay(afterAttempt: attempt).seconds
        let low = base * (1 - jitter)
        let seconds = low < base ? Double.random(in: low...base, using: &generator) : base
        return .seconds(seconds)
    }

    /// The delay after the `attempt`-th failure, with system randomness.
    public func delay(afterAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &generator)
    }

    /// Whether an event that has now failed `attempts` times is parked rather than retried.
    public func isExhausted(afterAttempts attempts: Int) -> Bool {
        attempts >= maxAttempts
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    package var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// The duration in whole milliseconds (rounded down), as SQL intervals and Redis take it.
    package var wholeMilliseconds: Int64 {
        let parts = components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}
