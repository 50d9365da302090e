import Foundation

/// An exact amount of money in cents; JSON carries it as a number with at most two decimals.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Largest amount `numeric(10,2)` holds.
    public static let maximumCents: Int64 = 9_999_999_999

    public var cents: Int64

    public init(cents: Int64) {
        self.cents = cents
    }

    /// Exact conversion from a decimal; nil when it has more than two decimals or is out of range.
    public init?(exactly decimal: Decimal) {
        var scaled = decimal * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled, !rounded.isNaN,
            rounded >= Decimal(-Money.maximumCents), rounded <= Decimal(Money.maximumCents)
        else { return nil }
        self.cents = NSDecimalNumber(decimal: rounded).int64Value
    }

    /// The amount as a decimal (19.99).
    public var decimal: Decimal {
        Decimal(sign: cents < 0 ? .minus : .plus, exponent: -2, significand: Decimal(cents.magnitude))
    }

    public var description: String {
        let sign = cents < 0 ? "-" : ""
        let units = cents.magnitude / 100
        let fraction = cents.magnitude % 100
        return "\(sign)\(units).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.cents < rhs.cents }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let decimal = try container.decode(Decimal.self)
        guard let money = Money(exactly: decimal) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an amount with at most two decimals")
        }
        self = money
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimal)
    }
}
