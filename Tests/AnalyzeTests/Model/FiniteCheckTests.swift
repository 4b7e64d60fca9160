@testable import LMRuntime
import Testing

/// The vectorised finiteness checks against `Float.isFinite`, including the scalar tails after the vector bodies.
@Suite struct FiniteCheckTests {
    static func bf16(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    @Test func bf16CheckAgreesWithIsFiniteForEveryBitPattern() {
        // Every pattern once, inside a vector body and in the scalar tail of a 100-value array.
        for bits in UInt16.min...UInt16.max {
            for position in [5, 99] {
                var values = [UInt16](repeating: 0x3f80, count: 100)
                values[position] = bits
                let ours = values.withUnsafeBufferPointer(allFiniteBF16)
                #expect(ours == Self.bf16(bits).isFinite, "bits \(bits) at \(position)")
            }
        }
        // Every position of a non-finite value (NaN, +inf, -inf) in arrays around the vector width.
        for count in [1, 31, 32, 33, 64, 65, 1_100] {
            #expect([UInt16](repeating: 0xc2f7, count: count).withUnsafeBufferPointer(allFiniteBF16))
            for bits: UInt16 in [0x7fc0, 0x7f80, 0xff80] {
                for position in 0..<count where position % 7 == 0 || position == count - 1 {
                    var values = [UInt16](repeating: 0xc2f7, count: count)
                    values[position] = bits
                    #expect(!values.withUnsafeBufferPointer(allFiniteBF16), "\(count) values, \(bits) at \(position)")
                }
            }
        }
        #expect([UInt16]().withUnsafeBufferPointer(allFiniteBF16))
    }

    @Test func fp32CheckFindsEveryNonFiniteValue() {
        for count in [1, 7, 8, 9, 100] {
            #expect([Float](repeating: -.greatestFiniteMagnitude, count: count).withUnsafeBufferPointer(allFinite))
            for value in [Float.nan, .infinity, -.infinity] {
                for position in 0..<count {
                    var values = [Float](repeating: 1, count: count)
                    values[position] = value
                    #expect(!values.withUnsafeBufferPointer(allFinite))
                }
            }
        }
    }
}
