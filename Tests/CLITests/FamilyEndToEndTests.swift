import Formats
import Foundation
import Testing

/// `sae-report analyze` then `site` on a GPT-2-family and a Gemma-2-family model with an SAE of each one's release
/// format (Tests/Fixtures/family-pipeline, written by scripts/fixtures/make_family_pipeline_fixtures.py), against
/// the token ids and metrics the script computed with transformers and numpy: GPT-2's SAE prepends BOS (SAELens
/// `prepend_bos`; GPT-2's tokenizer adds none) and reads the centered residual (`center_writing_weights`), Gemma's
/// tokenizer adds `<bos>` itself and its Gemma Scope SAE reads `hook_resid_post` as HF has it.
@Suite struct FamilyEndToEndTests {
    static let root = CommandRunner.fixtures.appendingPathComponent("family-pipeline")
    static let expected =
        try! JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("expected.json"))) as! [String: Any]
    static let rtol = 1e-4

    @Test(arguments: ["gpt2", "gemma2"])
    func analyzeThenSite(family: String) throws {
        let reference = (Self.expected["families"] as! [String: Any])[family] as! [String: Any]
        let (scratch, cleanup) = CommandRunner.scratch("family-\(family)")
        defer { cleanup() }
        let analysis = scratch.appendingPathComponent("analysis"), site = scratch.appendingPathComponent("site")
        try CommandRunner.run([
            "analyze", "--model", CommandRunner.fixtures.appendingPathComponent("model/\(reference["model"] as! String)").path,
            "--sae", Self.root.appendingPathComponent(reference["sae"] as! String).path,
            "--data", Self.root.appendingPathComponent("corpus.json").path, "-o", analysis.path,
            "--ctx", "\(Self.expected["ctx"] as! Int)", "--batch-tokens", "256", "--ablation", "both", "--ablation-tokens", "all",
            "--calibration-tokens", "1000000", "--threads", "2",
            // The reference counts every position, BOS included.
            "--keep-special-tokens",
        ])
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: try Self.file("config_", in: analysis))) as! [String: Any]
        // Both start every text with BOS: GPT-2's SAE asks for it (prepend_bos), Gemma Scope's format implies it.
        #expect(config["prepended_bos"] as? Int == (reference["token_id"] as! [Int]).first)
        #expect(config["centered_residual"] as? Bool == reference["centered_residual"] as? Bool)
        try compareTokens(analysis: analysis, reference: reference)
        try compareMetrics(analysis: analysis, reference: reference, family: family)

        try CommandRunner.run(["site", analysis.path, "-o", site.path])
        try checkSite(site, featureCount: ((reference["sparsity"] as! [String: Any])["all_tokens"] as! [String: Any])["activation_counts"] as! [Int])
    }

    static func file(_ prefix: String, in folder: URL) throws -> URL {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(prefix) }
        try #require(names.count == 1, "\(prefix)* in \(folder.path): \(names)")
        return folder.appendingPathComponent(names[0])
    }

    /// The token table: BOS first in every GPT-2 text (prepended) and every Gemma text (its tokenizer's template).
    func compareTokens(analysis: URL, reference: [String: Any]) throws {
        let tokens = try NPZ.read(try Self.file("tokens_", in: analysis.appendingPathComponent("activation_database")))
        let ids = try #require(tokens["token_id"]).int64Values().map(Int.init)
        #expect(ids == reference["token_id"] as! [Int])
        let texts = Set(try #require(tokens["text_idx"]).int64Values().map(Int.init))
        #expect(texts == Set(reference["texts_used"] as! [Int]))
    }

    func compareMetrics(analysis: URL, reference: [String: Any], family: String) throws {
        let results =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: try Self.file("analysis_results_", in: analysis.appendingPathComponent("results")))) as! [String: Any]
        #expect((results["run"] as! [String: Any])["n_tokens"] as? Int == reference["n_tokens"] as? Int)
        let metrics = results["metrics"] as! [String: Any]
        let ambiguous = Double((reference["ambiguous"] as! [Int]).reduce(0, +))
        func close(_ actual: Any?, _ expected: Any?, _ what: String, atol: Double = 1e-7) {
            guard let a = (actual as? NSNumber)?.doubleValue, let e = (expected as? NSNumber)?.doubleValue else {
                Issue.record("\(family) \(what): \(String(describing: actual)) vs \(String(describing: expected))")
                return
            }
            #expect(abs(a - e) <= Self.rtol * abs(e) + atol, "\(family) \(what): \(a) vs \(e)")
        }
        for variant in ["all_tokens", "without_first_token"] {
            let sparsity = ((metrics["sparsity"] as! [String: Any])["metrics"] as! [String: Any])[variant] as! [String: Any]
            let expectedSparsity = (reference["sparsity"] as! [String: Any])[variant] as! [String: Any]
            let n = Double(expectedSparsity["n_tokens"] as! Int)
            #expect(sparsity["n_tokens"] as? Int == expectedSparsity["n_tokens"] as? Int)
            // A ReLU pre-activation within 1e-5 of 0 may fire in one precision and not the other.
            close(sparsity["l0_mean"], expectedSparsity["l0_mean"], "\(variant) l0_mean", atol: ambiguous / n + 1e-9)
            close(sparsity["l1_mean"], expectedSparsity["l1_mean"], "\(variant) l1_mean")

            let reconstruction = (metrics["reconstruction"] as! [String: Any])[variant] as! [String: Any]
            let expectedReconstruction = (reference["reconstruction"] as! [String: Any])[variant] as! [String: Any]
            for name in [
                "mse_per_element", "mse_per_token", "explained_variance", "cosine_similarity", "relative_reconstruction_bias",
                "l2_ratio", "l2_norm_in", "l2_norm_out",
            ] {
                close(reconstruction[name], expectedReconstruction[name], "\(variant) \(name)")
            }

            let downstream = ((metrics["downstream"] as! [String: Any])["metrics"] as! [String: Any])[variant] as! [String: Any]
            let expectedDownstream = (reference["downstream"] as! [String: Any])[variant] as! [String: Any]
            #expect(downstream["n_targets"] as? Int == expectedDownstream["n_targets"] as? Int)
            for name in ["ce_baseline", "ce_spliced", "ce_zero_ablated", "ce_mean_ablated"] {
                close(downstream[name], expectedDownstream[name], "\(variant) \(name)")
            }
            // KL and ΔCE are small differences of large numbers: an absolute slack of 1e-4 × the CE.
            let ceScale = 1e-4 * ((expectedDownstream["ce_baseline"] as? NSNumber)?.doubleValue ?? 1)
            for name in ["delta_ce", "kl_spliced", "kl_zero_ablated", "kl_mean_ablated"] {
                close(downstream[name], expectedDownstream[name], "\(variant) \(name)", atol: ceScale)
            }
        }
    }

    /// The site renders every feature that fired, and corpus text reaches its pages escaped only.
    func checkSite(_ site: URL, featureCount counts: [Int]) throws {
        #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent("index.html").path))
        let pages = try FileManager.default.contentsOfDirectory(atPath: site.appendingPathComponent("features").path)
        for feature in counts.indices where counts[feature] > 0 {
            #expect(pages.contains("\(feature).html"), "no page for feature \(feature)")
        }
        var escaped = false
        let enumerator = FileManager.default.enumerator(at: site, includingPropertiesForKeys: nil)!
        for case let url as URL in enumerator where url.pathExtension == "html" {
            let html = try String(contentsOf: url, encoding: .utf8)
            #expect(!html.contains("<script>alert"), "unescaped corpus text in \(url.lastPathComponent)")
            escaped = escaped || html.contains("&lt;script&gt;") || html.contains("&lt;/script&gt;")
        }
        #expect(escaped, "the corpus's <script> text appears on no page")
    }
}
