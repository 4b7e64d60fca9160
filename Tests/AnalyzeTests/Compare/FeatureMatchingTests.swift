@testable import Formats
import Foundation
@testable import SAECore
import Testing

/// Feature matching against the numpy (float64) references of `scripts/fixtures/make_compare_fixtures.py`.
@Suite struct FeatureMatchingTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    struct Direction: Decodable { var index: [Int]; var cosine: [Double]; var gap: [Double] }
    struct RandomCase: Decodable { var d: Int; var a: [[Float]]; var b: [[Float]]; var a_to_b: Direction; var b_to_a: Direction }
    struct SeedCase: Decodable { var saes: [String]; var weights_sha256: [String]; var a_to_b: Direction; var b_to_a: Direction }
    struct Fixture: Decodable { var random: RandomCase; var seed_saes: SeedCase }

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtures.appendingPathComponent("compare/matching.json")))
    }

    private func tensor(_ rows: [[Float]]) -> FloatTensor {
        FloatTensor(shape: [rows.count, rows[0].count], values: rows.flatMap { $0 })
    }

    /// Same index as numpy unless the top two are within float32 rounding of each other; cosines within 1e-5.
    private func expectAgrees(_ ours: FeatureMatching.BestMatches, _ reference: Direction, _ name: String) {
        #expect(ours.count == reference.index.count)
        for i in 0..<min(ours.count, reference.index.count) {
            #expect(abs(Double(ours.cosine[i]) - reference.cosine[i]) < 1e-5, "\(name) \(i): cosine \(ours.cosine[i]) vs \(reference.cosine[i])")
            if reference.gap[i] > 1e-5 {
                #expect(Int(ours.index[i]) == reference.index[i], "\(name) \(i): index \(ours.index[i]) vs \(reference.index[i])")
            }
        }
    }

    @Test(arguments: [1, 7, 40, 512])
    func randomDecodersMatchNumpyForEveryBlockSize(rowsPerBlock: Int) throws {
        let random = try Self.fixture().random
        let matching = try FeatureMatching(decoderA: tensor(random.a), decoderB: tensor(random.b), rowsPerBlock: rowsPerBlock)
        expectAgrees(matching.aToB, random.a_to_b, "A→B")
        expectAgrees(matching.bToA, random.b_to_a, "B→A")
        // The planted copies make both directions informative: some features matched, some not.
        let unmatched = matching.aToB.unmatched(below: 0.7)
        #expect(unmatched.count > 5 && unmatched.count < 35)
        #expect(unmatched == random.a_to_b.cosine.indices.filter { random.a_to_b.cosine[$0] < 0.7 })
        let mutual = random.a_to_b.index.enumerated().filter { random.b_to_a.index[$0.element] == $0.offset }.count
        #expect(matching.mutualCount == mutual)
    }

    @Test func seedSAEsLoadedThroughTheirDirectoriesMatchNumpy() throws {
        let seed = try Self.fixture().seed_saes
        let directories = seed.saes.map { Self.fixtures.appendingPathComponent("sae/\($0)") }
        let decoders = try zip(directories, seed.weights_sha256).map { directory, hash in
            try RunDecoder.load(directory: directory, recordedHashes: ["weights.pt": hash])
        }
        #expect(decoders[0].shape == [256, 64])
        let matching = try FeatureMatching(decoderA: decoders[0], decoderB: decoders[1], rowsPerBlock: 100)
        expectAgrees(matching.aToB, seed.a_to_b, "A→B")
        expectAgrees(matching.bToA, seed.b_to_a, "B→A")
    }

    @Test func tiesGoToTheLowerIDInBothDirections() throws {
        // Exact arithmetic: unit basis vectors. B has e0 twice (rows 1 and 3); A has e1 twice (rows 0 and 2).
        let e = { (i: Int) -> [Float] in (0..<4).map { $0 == i ? 1 : 0 } }
        let a = tensor([e(1), e(0), e(1), [0, 0, 0, 0]])
        let b = tensor([e(2), e(0), e(1), e(0)])
        for rows in [1, 2, 4] {
            let matching = try FeatureMatching(decoderA: a, decoderB: b, rowsPerBlock: rows)
            #expect(matching.aToB.index == [2, 1, 2, 0])
            #expect(matching.aToB.cosine == [1, 1, 1, 0])  // the zero row has cosine 0 with everything
            // B's e2 has cosine 0 with every row of A: the tie goes to A's row 0.
            #expect(matching.bToA.index == [0, 1, 0, 1])
            #expect(matching.bToA.cosine == [0, 1, 1, 1])
            #expect(matching.mutualA == [true, true, false, false])
        }
    }

    @Test func differentWidthsAreAnInputError() {
        let a = FloatTensor(shape: [3, 4], values: Array(repeating: 1, count: 12))
        let b = FloatTensor(shape: [3, 5], values: Array(repeating: 1, count: 15))
        #expect(throws: InputError.self) { try FeatureMatching(decoderA: a, decoderB: b) }
    }

    @Test func changedOrMissingSAEFilesAreRefused() throws {
        let directory = Self.fixtures.appendingPathComponent("sae/seed-sae-btopk8-l2")
        #expect(throws: InputError.self) {
            try RunDecoder.load(directory: directory, recordedHashes: ["weights.pt": String(repeating: "0", count: 64)])
        }
        #expect(throws: InputError.self) {
            try RunDecoder.load(directory: directory, recordedHashes: ["missing.pt": String(repeating: "0", count: 64)])
        }
        #expect(throws: InputError.self) {
            try RunDecoder.load(directory: directory.appendingPathComponent("nope"))
        }
    }
}
