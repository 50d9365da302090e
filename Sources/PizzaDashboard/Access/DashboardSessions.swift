import Foundation
import Synchronization

/// Signed-in browsers: a random session id (the cookie) with its CSRF token and expiry, kept in
/// memory. A restart signs everyone out, which is acceptable for an operator's page.
public final class DashboardSessions: Sendable {
    /// One signed-in browser.
    public struct Session: Sendable, Equatable {
        /// Sent back in `X-CSRF-Token` with every state-changing request.
        public var csrfToken: String
        /// When the sign-in ends.
        public var expires: ContinuousClock.Instant
    }

    /// How long a sign-in lasts.
    public let lifetime: Duration
    /// Most sessions kept; the oldest go first.
    let capacity: Int
    private let sessions = Mutex([String: Session]())

    /// Sessions that last `lifetime`, at most `capacity` of them.
    public init(lifetime: Duration = .seconds(12 * 3600), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// A new session: its id (for the cookie) and the session.
    public func create() -> (id: String, session: Session) {
        let id = Self.randomToken()
        let session = Session(csrfToken: Self.randomToken(), expires: .now + lifetime)
        sessions.withLock { sessions in
            let now = ContinuousClock.now
            sessions = sessions.filter { $0.value.expires > now }
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires })?.key {
                sessions[oldest] = nil
            }
            sessions[id] = session
        }
        return (id, session)
    }

    /// The live session with this id, nil when unknown or expired.
    public func session(_ id: String) -> Session? {
        sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > .now else {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    /// Ends a session.
    public func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// 32 random bytes from the system's generator, as hex.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Compares without stopping at the first difference, so timing does not reveal a secret.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
