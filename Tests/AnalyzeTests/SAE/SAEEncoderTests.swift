@testable import Formats
import Foundation
@testable import SAECore
import Testing
import TestSupport

@Suite("SAE encoding and decoding against numpy")
struct SAEEncoderTests {
    @Test("codes, L0, L1, reconstruction and threshold match the numpy reference", arguments: EncodedCase.names)
    func matchesReference(name: String) throws {
        let golden = try #require((try SAEFixtures.golden()["cases"] as? [String: Any])?[name] as? [String: Any])
        let encoded = try EncodedCase(name)
        let codes = encoded.codes, m = encoded.sae.dSae, d = encoded.sae.dIn
        #expect(codes.rowCount == 300)

        let expectedL0 = golden["l0"] as! [Int]
        let l0 = (0..<codes.rowCount).map { codes.range(ofRow: $0).count }
        #expect(l0 == expectedL0, "per-token L0 differs")
        let l1 = (0..<codes.rowCount).map { row in codes.range(ofRow: row).reduce(0.0) { $0 + Double(codes.values[$1]) } }
        expectClose(l1, golden["l1"] as! [Double], "L1")

        let firstRows = (golden["codes_first_rows"] as! [Double]).count / m
        let dense = codes.dense()
        expectClose(dense[0..<(firstRows * m)].map(Double.init), golden["codes_first_rows"] as! [Double], "codes")
        let xhat = encoded.reconstruction
        expectClose(xhat[0..<(firstRows * d)].map(Double.init), golden["reconstruction_first_rows"] as! [Double], "x̂")

        let (x, _) = try SAEFixtures.activations()
        let sse = (0..<300).map { row in
            (0..<d).reduce(0.0) { sum, j in
                let r = Double(x[row * d + j]) - Double(xhat[row * d + j]); return sum + r * r
            }
        }
        expectClose(sse, golden["sse"] as! [Double], "per-token squared error")

        if let expected = golden["threshold"] as? Double {
            #expect(isClose(encoded.threshold.map(Double.init), expected), "threshold \(encoded.threshold ?? -1) vs \(expected)")
        }
        // Every row's features are ascending and every value positive.
        for row in 0..<codes.rowCount {
            let ids = codes.features[codes.range(ofRow: row)]
            #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        }
        #expect(codes.values.allSatisfy { $0 > 0 })
    }

    @Test("dense and sparse decoding agree")
    func decodePaths() throws {
        let encoded = try EncodedCase("seed-sae-relu-l2")
        let sparse = encoded.sae.decode(encoded.codes, path: .sparse), dense = encoded.sae.decode(encoded.codes, path: .dense)
        expectClose(sparse.map(Double.init), dense.map(Double.init), relative: 1e-5, absolute: 1e-5, "decode")
        #expect(encoded.sae.decode(SparseCodes(dSae: encoded.sae.dSae)).isEmpty)
    }

    @Test("token and threshold modes do not depend on the other rows of the call; batch mode does")
    func rowIndependence() throws {
        let sae = try SAEFixtures.sae("seed-sae-btopk8-l2")
        let (x, n) = try SAEFixtures.activations()
        let token = try SAEEncoder(sae: sae, topKMode: .token)
        let threshold = try SAEEncoder(sae: sae, topKMode: .threshold, threshold: 1.5)
        for encoder in [token, threshold] {
            let all = encoder.encode(x, rows: n)
            var pieces = SparseCodes(dSae: sae.dSae)
            for start in stride(from: 0, to: n, by: 7) {
                let range = start..<min(n, start + 7)
                pieces.append(contentsOf: encoder.encode(rows(x, range, width: 64), rows: range.count))
            }
            // sgemm may round differently for another row count, so values agree to float precision.
            #expect(all.rowStarts == pieces.rowStarts && all.features == pieces.features)
            expectClose(all.values.map(Double.init), pieces.values.map(Double.init), relative: 1e-5, "values")
        }
        let batch = try SAEEncoder(sae: sae, topKMode: .batch)
        let whole = batch.encode(x, rows: n)
        #expect(whole.nonzeroCount == n * 8)
        let half = batch.encode(rows(x, 0..<150, width: 64), rows: 150)
        #expect(half.nonzeroCount == 150 * 8)
        #expect(half.rowStarts != Array(whole.rowStarts[0...150]), "pooled top-k should depend on the pool")
    }

    @Test("threshold mode needs a threshold; calibration needs a top-k SAE")
    func thresholdRequirements() throws {
        let btopk = try SAEFixtures.sae("seed-sae-btopk8-l2")
        #expect(throws: InputError.self) { try SAEEncoder(sae: btopk, topKMode: .threshold) }
        #expect(throws: InputError.self) { try SAEEncoder(sae: btopk, topKMode: .threshold, threshold: .nan) }
        #expect(throws: InputError.self) { try ThresholdCalibrator(sae: try SAEFixtures.sae("saelens-scaled")) }
        #expect(TopKMode.default(for: .batchTopK) == .threshold)
        // Calibrated on a sample, the sample's mean L0 is k (no ties in random data).
        let (x, n) = try SAEFixtures.activations()
        var calibrator = try ThresholdCalibrator(sae: btopk)
        calibrator.add(rows(x, 0..<100, width: 64), rows: 100)
        var other = try ThresholdCalibrator(sae: btopk)
        other.add(rows(x, 100..<n, width: 64), rows: n - 100)
        let merged = calibrator.merged(with: other)
        var single = try ThresholdCalibrator(sae: btopk)
        single.add(x, rows: n)
        #expect(isClose(Double(merged.threshold()), Double(single.threshold()), relative: 1e-5))
        let codes = try SAEEncoder(sae: btopk, topKMode: .threshold, threshold: calibrator.threshold())
            .encode(rows(x, 0..<100, width: 64), rows: 100)
        #expect(codes.nonzeroCount == 100 * 8)
    }

    @Test("the calibration's candidate codes are the threshold encoder's codes, bit for bit")
    func candidateCodesMatchTheEncoder() throws {
        let btopk = try SAEFixtures.sae("seed-sae-btopk8-l2")
        let (x, n) = try SAEFixtures.activations()
        var calibrator = try ThresholdCalibrator(sae: btopk)
        let candidates = calibrator.addKeepingCandidates(x, rows: n, floorFraction: 0.5)
        let threshold = calibrator.threshold()
        var plain = try ThresholdCalibrator(sae: btopk)
        plain.add(x, rows: n)
        #expect(plain.threshold() == threshold)
        #expect(candidates.floor > 0 && candidates.floor <= threshold)
        let expected = try SAEEncoder(sae: btopk, topKMode: .threshold, threshold: threshold).encode(x, rows: n)
        let codes = try #require(candidates.codes(threshold: threshold))
        #expect(codes.rowStarts == expected.rowStarts)
        #expect(codes.features == expected.features)
        #expect(codes.values == expected.values)
        #expect(candidates.codes.nonzeroCount > codes.nonzeroCount)
        // Below the floor some codes may be missing: no answer.
        #expect(candidates.codes(threshold: candidates.floor.nextDown) == nil)
    }

    @Test("kthLargest agrees with sorting", arguments: [1, 2, 5, 50, 99, 100])
    func kthLargestMatchesSort(k: Int) {
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<20 {
            // Include many duplicates in some trials.
            var values = (0..<100).map { _ in
                trial % 2 == 0
                    ? Float.random(in: -1...1, using: &generator)
                    : Float(Int.random(in: 0...5, using: &generator))
            }
            let expected = values.sorted(by: >)[k - 1]
            let actual = values.withUnsafeMutableBufferPointer { kthLargest($0.baseAddress!, count: 100, k: k) }
            #expect(actual == expected)
        }
    }

    @Test("SparseCodes: dense round trip and appending")
    func sparseCodes() {
        let dense: [Float] = [0, 1.5, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0.5]
        let codes = SparseCodes(dense: dense, rows: 3, dSae: 4)
        #expect(codes.rowStarts == [0, 2, 2, 4])
        #expect(codes.features == [1, 3, 0, 3])
        #expect(codes.dense() == dense)
        #expect(codes.density == 4.0 / 12.0)
        var joined = codes
        joined.append(contentsOf: codes)
        #expect(joined.rowCount == 6 && joined.dense() == dense + dense)
    }
}
