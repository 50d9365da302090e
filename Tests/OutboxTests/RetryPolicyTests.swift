import Outbox
import Testing

@Suite struct RetryPolicyTests {
    @Test func baseDelayDoublesUpToTheCap() {
        let policy = RetryPolicy(initialDelay: .milliseconds(500), maxDelay: .seconds(5), multiplier: 2, jitter: 0, maxAttempts: 10)
        let delays = (1...6).map { policy.baseDelay(afterAttempt: $0).seconds }
        #expect(delays == [0.5, 1, 2, 4, 5, 5])
    }

    @Test func jitterStaysWithinItsBand() {
        let policy = RetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(60), multiplier: 2, jitter: 0.5, maxAttempts: 10)
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...8 {
            let base = policy.baseDelay(afterAttempt: attempt).seconds
            for _ in 0..<50 {
                let delay = policy.delay(afterAttempt: attempt, using: &generator).seconds
                #expect(delay >= base * 0.5 - 1e-9 && delay <= base + 1e-9)
            }
        }
    }

    @Test func jitterSpreadsDelays() {
        let policy = RetryPolicy(initialDelay: .seconds(1), jitter: 0.5)
        let samples = Set((0..<20).map { _ in policy.delay(afterAttempt: 3).seconds })
        #expect(samples.count > 1)
    }

    @Test func exhaustionAtMaxAttempts() {
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(!policy.isExhausted(afterAttempts: 2))
        #expect(policy.isExhausted(afterAttempts: 3))
    }
}
