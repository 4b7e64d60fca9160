@testable import Analyze
import Formats
import Foundation
import Testing
import TestSupport

/// The feature-page loss effects and the corpus browser's sample, from a real `AnalysisPipeline` run on the tiny
/// Qwen3 of `Tests/Fixtures/pipeline` with the seed ReLU SAE.
@Suite struct BrowsingDataTests {
    static let reference =
        try! JSONSerialization.jsonObject(
            with: Data(
                contentsOf: AnalysisPipelineTests.fixtures.appendingPathComponent("pipeline/loss_effects.json")))
        as! [String: Any]

    static func run(_ configure: (inout AnalysisOptions) -> Void) throws -> (URL, () -> Void) {
        let (output, cleanup) = AnalysisPipelineTests.outputDirectory("browsing-\(UUID().uuidString)")
        var options = AnalysisPipelineTests.options(sae: "seed-sae-relu-l2", output: output)
        options.pass.ablation = .none
        configure(&options)
        _ = try AnalysisPipeline(options: options).run()
        return (output, cleanup)
    }

    static func file(_ key: String, in directory: URL) throws -> URL? {
        let summaryName = try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasPrefix("SUMMARY_") }!
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(summaryName))) as! [String: Any]
        return ((summary["files"] as! [String: Any])[key] as? String).map { directory.appendingPathComponent($0) }
    }

    /// Every top example's effects, as `sae-report` wrote them, against transformers with the feature removed
    /// (scripts/fixtures/make_loss_effect_fixtures.py): 70 examples, full and direct path.
    @Test func lossEffectsMatchTransformers() throws {
        let (output, cleanup) = try Self.run {
            $0.features.lossEffectExamples = 5
            $0.features.lossEffectRows = nil
        }
        defer { cleanup() }
        var written: [String: [String: Any]] = [:]
        let summaries = try String(contentsOf: try #require(try Self.file("feature_summaries", in: output)), encoding: .utf8)
        for line in summaries.split(separator: "\n") {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            for example in record["top_examples"] as! [[String: Any]] {
                written["\(record["feature"]!)/\(example["text_idx"]!)/\(example["position"]!)"] = example
            }
        }
        var compared = 0, values = 0, largest = 0.0
        for reference in Self.reference["examples"] as! [[String: Any]] {
            let key = "\(reference["feature"]!)/\(reference["text_idx"]!)/\(reference["position"]!)"
            let example = try #require(written[key], "top example \(key) not written")
            let effects = try #require(example["loss_effects"] as? [String: Any], "\(key) has no loss_effects")
            let position = example["position"] as! Int, target = example["target_index"] as! Int
            let deltas = effects["delta_loss"] as! [Any], kls = effects["kl"] as! [Any]
            let direct = effects["direct_delta_loss"] as! [Any], directKL = effects["direct_kl"] as! [Any]
            let expectedDelta = reference["delta_loss"] as! [Double], expectedKL = reference["kl"] as! [Double]
            #expect(deltas.count == (example["context_tokens"] as! [Any]).count)
            for k in deltas.indices {
                // Shown token k is at text position position - target + k; its prediction was made one row before.
                let index = position - target + k - 1 - position
                if expectedDelta.indices.contains(index) {
                    let got = try #require(deltas[k] as? Double, "\(key) token \(k): null delta_loss")
                    #expect(isClose(got, expectedDelta[index], relative: 2e-3, absolute: 2e-5), "\(key) token \(k): Δloss \(got) vs \(expectedDelta[index])")
                    #expect(isClose(kls[k] as? Double, expectedKL[index], relative: 2e-3, absolute: 2e-5), "\(key) token \(k): KL")
                    largest = max(largest, abs(expectedDelta[index]))
                    values += 1
                } else {
                    #expect(deltas[k] is NSNull, "\(key) token \(k): a value where the feature cannot change the prediction")
                }
                if index == 0, let expected = reference["direct_delta_loss"] as? Double {
                    #expect(isClose(direct[k] as? Double, expected, relative: 2e-3, absolute: 2e-5), "\(key): direct Δloss \(direct[k]) vs \(expected)")
                    #expect(isClose(directKL[k] as? Double, reference["direct_kl"] as! Double, relative: 2e-3, absolute: 2e-5), "\(key): direct KL")
                } else {
                    #expect(direct[k] is NSNull)
                }
            }
            compared += 1
        }
        #expect(compared >= 20 && values >= 100 && largest > 0.1, "compared \(compared) examples, \(values) values, largest \(largest)")
        // Only the first top examples get effects when asked for fewer.
    }

    @Test func lossEffectsAreLimitedToTheFirstExamplesAndCanBeTurnedOff() throws {
        for count in [0, 2] {
            let (output, cleanup) = try Self.run {
                $0.features.lossEffectExamples = count
                $0.features.lossEffectRows = nil
            }
            defer { cleanup() }
            let summaries = try String(contentsOf: try #require(try Self.file("feature_summaries", in: output)), encoding: .utf8)
            for line in summaries.split(separator: "\n") {
                let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                let tops = record["top_examples"] as! [[String: Any]]
                for (rank, example) in tops.enumerated() {
                    #expect((example["loss_effects"] != nil) == (rank < count))
                }
            }
        }
    }

    /// A row budget keeps every feature's best example before any second one, and the run says what it left out.
    @Test func rowBudgetTakesEveryFeaturesBestExampleFirst() throws {
        let (output, cleanup) = try Self.run {
            $0.features.lossEffectExamples = 5
            $0.features.lossEffectRows = 400
        }
        defer { cleanup() }
        let summaries = try String(contentsOf: try #require(try Self.file("feature_summaries", in: output)), encoding: .utf8)
        var ranks: [[Bool]] = []
        for line in summaries.split(separator: "\n") {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            ranks.append((record["top_examples"] as! [[String: Any]]).map { $0["loss_effects"] != nil })
        }
        let done = ranks.joined().filter { $0 }.count, total = ranks.joined().count
        #expect(done > 0 && done < total)
        for rank in 1..<5 where ranks.contains(where: { $0.count > rank && $0[rank] }) {
            #expect(ranks.allSatisfy { $0.count < rank || $0[rank - 1] }, "a rank-\(rank) example before every rank-\(rank - 1) one")
        }
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: try #require(try Self.file("results", in: output)))) as! [String: Any]
        #expect((results["warnings"] as! [String]).contains { $0.hasPrefix("loss effects were computed for \(done) of \(total) top examples") })
    }

    /// The browser's sample: evenly spaced texts, each token's five strongest features, checked against the
    /// activation database the run wrote (read back as scipy's CSR through the test's own NPZ reader).
    @Test func sampledTextsListEachTokensStrongestFeatures() throws {
        let (output, cleanup) = try Self.run {
            $0.features.browseTexts = 7; $0.features.lossEffectExamples = 0
        }
        defer { cleanup() }
        let document =
            try JSONSerialization.jsonObject(with: Data(contentsOf: try #require(try Self.file("texts", in: output)))) as! [String: Any]
        let expected = AnalysisPipelineTests.expected
        let textIndex = expected["text_idx"] as! [Int], tokenIDs = expected["token_id"] as! [Int]
        let usedTexts = Array(Set(textIndex)).sorted()
        #expect(document["n_texts"] as? Int == usedTexts.count)
        let texts = document["texts"] as! [[String: Any]]
        #expect(texts.map { $0["text_idx"] as! Int } == (0..<7).map { usedTexts[$0 * usedTexts.count / 7] })

        let csr = try CSRReference(url: try #require(try Self.file("activation_db", in: output)))
        for text in texts {
            let t = text["text_idx"] as! Int
            let rows = textIndex.indices.filter { textIndex[$0] == t }
            #expect(text["token_ids"] as! [Int] == rows.map { tokenIDs[$0] })
            #expect((text["tokens"] as! [String]).count == rows.count)
            let features = text["features"] as! [[Int]], values = text["values"] as! [[Double]]
            for (k, row) in rows.enumerated() {
                let entries = csr.row(row).sorted { $0.value != $1.value ? $0.value > $1.value : $0.feature < $1.feature }.prefix(5)
                #expect(features[k] == entries.map(\.feature), "text \(t) token \(k)")
                #expect(zip(values[k], entries).allSatisfy { isClose($0, Double($1.value), relative: 1e-6, absolute: 0) })
            }
        }
        let withTokens = texts.first { ($0["tokens"] as! [String]).count > 3 }!
        let corpus = try JSONSerialization.jsonObject(with: Data(contentsOf: AnalysisPipelineTests.corpus)) as! [String]
        #expect((withTokens["tokens"] as! [String]).joined() == corpus[withTokens["text_idx"] as! Int], "the pieces join to the text")
    }

    @Test func noSampleWhenTurnedOff() throws {
        let (output, cleanup) = try Self.run {
            $0.features.browseTexts = 0; $0.features.lossEffectExamples = 0
        }
        defer { cleanup() }
        #expect(try Self.file("texts", in: output) == nil)
    }
}

/// scipy's CSR archive read with the package's NPZ reader (the rows as (feature, value) pairs).
struct CSRReference {
    let indptr: [Int64], indices: [Int32], data: [Float]

    init(url: URL) throws {
        let arrays = try NPZ.read(url)
        indptr = try arrays["indptr"]!.int64Values()
        indices = try arrays["indices"]!.int32Values()
        data = try arrays["data"]!.floatValues()
    }

    func row(_ row: Int) -> [(feature: Int, value: Float)] {
        (Int(indptr[row])..<Int(indptr[row + 1])).map { (Int(indices[$0]), data[$0]) }
    }
}
