import Outbox
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
}
