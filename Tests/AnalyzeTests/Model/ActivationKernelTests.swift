import Foundation
@testable import LMRuntime
import Testing

/// The vectorised activations against their definitions in Double (Foundation's erf, tanh), over the range where
/// model activations live and into both tails.
@Suite struct ActivationKernelTests {
    static let inputs: [Float] = stride(from: -12.0, through: 12.0, by: 0.001).map { Float($0) } + [0, -0, 1e-6, -1e-6, 30, -30]

    static func apply(_ activation: DecoderSpec.Activation, _ x: [Float]) -> [Float] {
        var values = x
        values.withUnsafeMutableBufferPointer { activate($0.baseAddress!, count: $0.count, activation) }
        return values
    }

    /// The largest |ours − exact| / (|exact| + atol).
    static func worst(_ ours: [Float], _ exact: [Double], atol: Double) -> Double {
        zip(ours, exact).map { abs(Double($0) - $1) / (abs($1) + atol) }.max()!
    }

    /// The largest relative error over the float32 bound of x·Φ(x): 2e-6, plus x²·2.4e-7 in the tails, where e^(−x²/2)
    /// turns float32's rounding of x (relative 6e-8) into a relative error of about x²·6e-8 of the result.
    static func worstOverBound(_ ours: [Float], _ exact: [Double], inputs: [Float]) -> Double {
        var worst = 0.0
        for index in ours.indices {
            let x = Double(inputs[index]), error = abs(Double(ours[index]) - exact[index]) / (abs(exact[index]) + 1e-37)
            worst = max(worst, error / (2e-6 + x * x * 2.4e-7))
        }
        return worst
    }

    @Test func exactGELUMatchesErf() {
        // x·Φ(x) with Φ from erfc: 1 + erf(x/√2) cancels to nothing in the negative tail even in Double.
        let exact = Self.inputs.map { x -> Double in
            let x = Double(x)
            let phi: Double = 0.5 * erfc(-x / 2.0.squareRoot())
            return x * phi
        }
        // Relative in both tails down to float32's smallest normal values.
        #expect(Self.worstOverBound(Self.apply(.gelu, Self.inputs), exact, inputs: Self.inputs) <= 1)
        // The gated form multiplies by `up` after the same activation (odd counts exercise the scalar tail).
        var gate = Array(Self.inputs.prefix(1003)), up = (0..<1003).map { Float($0 % 7) - 3 }
        gate.withUnsafeMutableBufferPointer { g in up.withUnsafeBufferPointer { activateMultiply(g.baseAddress!, by: $0.baseAddress!, count: 1003, .gelu) } }
        let expected = zip(exact.prefix(1003), up).map { $0 * Double($1) }
        #expect(Self.worstOverBound(gate, expected, inputs: Array(Self.inputs.prefix(1003))) <= 1)
    }

    @Test func tanhGELUMatchesItsFormula() {
        let exact = Self.inputs.map { x -> Double in
            let x = Double(x)
            return 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        }
        #expect(Self.worst(Self.apply(.geluTanh, Self.inputs), exact, atol: 1e-6) < 2e-5)
    }
}
