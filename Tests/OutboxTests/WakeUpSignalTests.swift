import Outbox
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(2))) struct WakeUpSignalTests {
    @Test func aSignalWithoutWaiterIsRemembered() async {
        let signal = WakeUpSignal()
        signal.signal()
        #expect(await signal.wait(timeout: .seconds(5)))
    }

    @Test func timesOutWithoutSignal() async {
        let signal = WakeUpSignal()
        #expect(await signal.wait(timeout: .milliseconds(20)) == false)
    }

    @Test func wakesAWaiter() async {
        let signal = WakeUpSignal()
        async let woken = signal.wait(timeout: .seconds(30))
        // Keep signalling until the waiter has returned; a remembered signal also counts.
        signal.signal()
        #expect(await woken)
    }

    @Test func cancellationEndsTheWait() async {
        let signal = WakeUpSignal()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait() }
            group.cancelAll()
        }
    }

    @Test func cancellingATimedWaitEndsItAtOnce() async {
        let signal = WakeUpSignal()
        let waiter = Task { await signal.wait(timeout: .seconds(600)) }
        waiter.cancel()
        #expect(await waiter.value == false)
    }

    @Test func aTimedOutWaitLeavesTheNextSignalToTheNextWait() async {
        let signal = WakeUpSignal()
        #expect(await signal.wait(timeout: .milliseconds(10)) == false)
        signal.signal()
        #expect(await signal.wait(timeout: .seconds(30)))
    }

    @Test func aSignalWakesEveryWaiter() async {
        let signal = WakeUpSignal()
        final class Count: Sendable { let value = Mutex(0) }
        let woken = Count()
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let answer = await signal.wait(timeout: .seconds(600))
                    woken.value.withLock { $0 += 1 }
                    return answer
                }
            }
            // A signal before a waiter registers is remembered for one wait only: signal until all returned.
            while woken.value.withLock({ $0 }) < 3 {
                signal.signal()
                await Task.yield()
            }
            for await answer in group { #expect(answer) }
        }
    }
}
