import CVectorMath
import Foundation

// Row kernels of the forward pass over raw Float pointers, eight lanes at a time (SIMD8), with a scalar tail. Swift
// compiles SIMD8 for baseline x86-64 (two SSE halves, no FMA), so the hot ones that call e^x (softmax, SiLU) and the
// LM head's reductions call the C copies in CVectorMath, built for AVX-512F, AVX2 + FMA and portable C.

typealias Vector8 = SIMD8<Float>

/// The row kernels in C (CVectorMath: softmax, SiLU, the LM head's reductions), compiled for several instruction sets.
public enum RowKernels {
    /// The instruction set they run on here: "AVX-512F", "AVX2+FMA" or "portable" (picked once, from cpuid).
    public static var instructionSet: String { String(cString: sae_vm_isa()) }
}

@inline(__always) func load8(_ pointer: UnsafePointer<Float>, _ index: Int) -> Vector8 {
    UnsafeRawPointer(pointer + index).loadUnaligned(as: Vector8.self)
}

@inline(__always) func store8(_ value: Vector8, _ pointer: UnsafeMutablePointer<Float>, _ index: Int) {
    UnsafeMutableRawPointer(pointer + index).storeBytes(of: value, as: Vector8.self)
}

/// e^x for eight lanes: Cody–Waite range reduction to r in [-ln2/2, ln2/2], a degree-6 polynomial, and 2^n built
/// in the exponent bits. Relative error about 2e-7; exact 0 below -87.3 (no denormals), +inf above 88.7.
@inline(__always) func exp8(_ x: Vector8) -> Vector8 {
    var clamped = x  // (clamped(lowerBound:upperBound:) and pointwiseMin/Max are not inlined; masks are)
    clamped.replace(with: -87.3, where: x .< -87.3)
    clamped.replace(with: 88.7, where: x .> 88.7)
    // Rounds to the nearest integer by adding 1.5 * 2^23; the integer also lands in the low mantissa bits.
    let magic = Vector8(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_04 + magic
    let n = shifted - magic
    let r = (clamped - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-6
    var p = Vector8(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 0.166_666_66
    p = p * r + 0.5
    p = p * r * r + r + 1
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: Vector8.self)
    var result = p * scale
    result.replace(with: 0, where: x .< -87.3)
    result.replace(with: .infinity, where: x .> 88.7)
    return result
}

/// e^x for one value, the same approximation as `exp8` (so vector bodies and scalar tails agree).
@inline(__always) func exp1(_ x: Float) -> Float { exp8(Vector8(repeating: x))[0] }

/// Whether every value is finite.
func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
    guard let base = values.baseAddress else { return true }
    var accumulator = Vector8()
    var index = 0
    while index + 8 <= values.count {
        accumulator += load8(base, index) * 0  // NaN and ±inf turn into NaN, everything else into 0
        index += 8
    }
    var scalar = accumulator.sum()
    while index < values.count { scalar += base[index] * 0; index += 1 }
    return scalar == 0
}

/// Whether every bf16 value is finite: the exponent fields' maximum reaches 0x7f80 (all ones) only where one is not.
/// A plain max reduction, which the compiler vectorises (a search with an early exit is not).
func allFiniteBF16(_ values: UnsafeBufferPointer<UInt16>) -> Bool {
    var largest: UInt16 = 0
    for value in values { largest = max(largest, value & 0x7f80) }
    return largest != 0x7f80
}

/// output = input / sqrt(mean(input²) + eps) * weight, over `count` values (HF's RMSNorm in fp32).
@inline(__always)
func rmsNorm(
    _ input: UnsafePointer<Float>, weight: UnsafePointer<Float>, eps: Float, count: Int,
    into output: UnsafeMutablePointer<Float>
) {
    var squares = Vector8()
    var index = 0
    while index + 8 <= count {
        let value = load8(input, index)
        squares += value * value
        index += 8
    }
    var sum = squares.sum()
    while index < count { sum += input[index] * input[index]; index += 1 }
    let scale = 1 / (sum / Float(count) + eps).squareRoot()
    index = 0
    while index + 8 <= count {
        store8(load8(input, index) * scale * load8(weight, index), output, index)
        index += 8
    }
    while index < count { output[index] = input[index] * scale * weight[index]; index += 1 }
}

/// gate[i] = silu(gate[i]) * up[i] = gate[i] / (1 + e^-gate[i]) * up[i], in place.
@inline(__always)
func siluMultiply(_ gate: UnsafeMutablePointer<Float>, by up: UnsafePointer<Float>, count: Int) {
    sae_vm_silu_mul(gate, up, count)
}

/// destination[i] += source[i].
@inline(__always)
func addInPlace(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int) {
    var index = 0
    while index + 8 <= count {
        store8(load8(destination, index) + load8(source, index), destination, index)
        index += 8
    }
    while index < count { destination[index] += source[index]; index += 1 }
}

/// The largest value.
@inline(__always)
func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float { sae_vm_max(values, count) }

/// values[i] = e^(values[i] - shift), returning their sum.
@inline(__always)
func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
    sae_vm_exponentiate(values, count, shift)
}

/// Σ e^(values[i] - shift), without writing.
@inline(__always)
func sumOfExponentials(_ values: UnsafePointer<Float>, count: Int, shift: Float) -> Float {
    sae_vm_sum_exp(values, count, shift)
}

/// values[i] *= factor.
@inline(__always)
func scale(_ values: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
    var index = 0
    while index + 8 <= count { store8(load8(values, index) * factor, values, index); index += 8 }
    while index < count { values[index] *= factor; index += 1 }
}

/// output = (input − mean) / sqrt(var + eps) · weight + bias over `count` values, biased variance (torch LayerNorm).
/// `output` may be `input`.
@inline(__always)
func layerNorm(
    _ input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, eps: Float, count: Int,
    into output: UnsafeMutablePointer<Float>
) {
    var sums = Vector8()
    var index = 0
    while index + 8 <= count { sums += load8(input, index); index += 8 }
    var sum = sums.sum()
    while index < count { sum += input[index]; index += 1 }
    let mean = sum / Float(count)
    var squares = Vector8()
    index = 0
    while index + 8 <= count {
        let centered = load8(input, index) - mean
        squares += centered * centered
        index += 8
    }
    var sumOfSquares = squares.sum()
    while index < count { sumOfSquares += (input[index] - mean) * (input[index] - mean); index += 1 }
    let scale = 1 / (sumOfSquares / Float(count) + eps).squareRoot()
    index = 0
    while index + 8 <= count {
        store8((load8(input, index) - mean) * scale * load8(weight, index) + load8(bias, index), output, index)
        index += 8
    }
    while index < count { output[index] = (input[index] - mean) * scale * weight[index] + bias[index]; index += 1 }
}

/// GELU with the tanh approximation, 0.5·x·(1 + tanh(u)) with u = √(2/π)(x + 0.044715x³), written as the equal
/// x / (1 + e^(−2u)).
@inline(__always) func geluTanh8(_ x: Vector8) -> Vector8 {
    let u = 0.797_884_56 * (x + 0.044_715 * x * x * x)
    return x / (1 + exp8(-2 * u))
}

/// Exact GELU, x·Φ(x) with Φ(x) = erfc(−x/√2)/2, for eight lanes. erfc(|z|) is Numerical Recipes' erfcc
/// (t = 1/(1 + |z|/2), a degree-9 polynomial in t inside the exponential; relative error below 1.2e-7 for every z),
/// so both tails keep their relative accuracy: Φ = erfc(|z|)/2 for x < 0, 1 − erfc(|z|)/2 otherwise.
@inline(__always) func gelu8(_ x: Vector8) -> Vector8 {
    let z = x.replacing(with: -x, where: x .< 0) * 0.707_106_77
    let t = 1 / (1 + 0.5 * z)
    var p = Vector8(repeating: 0.170_872_77)
    p = p * t - 0.822_152_23
    p = p * t + 1.488_515_87
    p = p * t - 1.135_203_98
    p = p * t + 0.278_868_07
    p = p * t - 0.186_288_06
    p = p * t + 0.096_784_18
    p = p * t + 0.374_091_96
    p = p * t + 1.000_023_68
    p = p * t - 1.265_512_23
    let halfTail: Vector8 = 0.5 * t * exp8(p - z * z)
    var phi = 1 - halfTail
    phi.replace(with: halfTail, where: x .< 0)
    return x * phi
}

/// tanh(x) = 1 − 2 / (e^(2x) + 1): absolute error about 1e-7.
@inline(__always) func tanh8(_ x: Vector8) -> Vector8 { 1 - 2 / (exp8(2 * x) + 1) }

/// values[i] = cap · tanh(values[i] / cap).
@inline(__always)
func softCap(_ values: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
    var index = 0
    while index + 8 <= count { store8(cap * tanh8(load8(values, index) / cap), values, index); index += 8 }
    while index < count { values[index] = cap * tanh8(Vector8(repeating: values[index] / cap))[0]; index += 1 }
}

/// values[i] = act(values[i]).
@inline(__always)
func activate(_ values: UnsafeMutablePointer<Float>, count: Int, _ activation: DecoderSpec.Activation) {
    switch activation {
    case .silu:
        var index = 0
        while index + 8 <= count { let x = load8(values, index); store8(x / (1 + exp8(-x)), values, index); index += 8 }
        while index < count { values[index] = values[index] / (1 + exp1(-values[index])); index += 1 }
    case .geluTanh:
        var index = 0
        while index + 8 <= count { store8(geluTanh8(load8(values, index)), values, index); index += 8 }
        while index < count { values[index] = geluTanh8(Vector8(repeating: values[index]))[0]; index += 1 }
    case .gelu:
        var index = 0
        while index + 8 <= count { store8(gelu8(load8(values, index)), values, index); index += 8 }
        while index < count { values[index] = gelu8(Vector8(repeating: values[index]))[0]; index += 1 }
    }
}

/// gate[i] = act(gate[i]) · up[i], in place.
@inline(__always)
func activateMultiply(
    _ gate: UnsafeMutablePointer<Float>, by up: UnsafePointer<Float>, count: Int,
    _ activation: DecoderSpec.Activation
) {
    switch activation {
    case .silu:
        siluMultiply(gate, by: up, count: count)
    case .geluTanh:
        var index = 0
        while index + 8 <= count { store8(geluTanh8(load8(gate, index)) * load8(up, index), gate, index); index += 8 }
        while index < count { gate[index] = geluTanh8(Vector8(repeating: gate[index]))[0] * up[index]; index += 1 }
    case .gelu:
        var index = 0
        while index + 8 <= count { store8(gelu8(load8(gate, index)) * load8(up, index), gate, index); index += 8 }
        while index < count { gate[index] = gelu8(Vector8(repeating: gate[index]))[0] * up[index]; index += 1 }
    }
}
