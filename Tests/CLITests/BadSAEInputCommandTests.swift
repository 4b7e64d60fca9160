import Foundation
import Testing

/// The bad SAE inputs of issue #13 through `analyze`, as users meet them: one line naming the file and the problem,
/// exit status 1, nothing written. (Activation shards of the wrong width: `ActivationFolderCommandTests`.)
@Suite struct BadSAEInputCommandTests {
    static let formats = CommandRunner.fixtures.appendingPathComponent("sae/formats")

    @Test(
        arguments: [
            // A folder of no SAE format (a config.json and a model.bin).
            ("bad-unknown-format", [], "bad-unknown-format", "not an SAE directory"),
            // A Gemma Scope threshold of 17 values for 16 features.
            ("bad-gemma-scope-threshold/layer_0/width_16k/average_l0_1", [], "params.npz", "tensor \"threshold\" has shape [17], expected [16]"),
            // A sparsify hookpoint the folder does not hold.
            ("sae-tiny-sparsify", ["--hookpoint", "layers.7"], "sae-tiny-sparsify", "no hookpoint \"layers.7\""),
        ] as [(String, [String], String, String)])
    func badSAEIsOneLineAndWritesNothing(sae: String, extra: [String], file: String, problem: String) throws {
        let (root, cleanup) = CommandRunner.scratch("bad-sae")
        defer { cleanup() }
        let output = root.appendingPathComponent("out")
        let result = try CommandRunner.run(
            [
                "analyze", "--model", CommandRunner.fixtures.appendingPathComponent("pipeline/model").path,
                "--data", CommandRunner.fixtures.appendingPathComponent("pipeline/corpus.json").path,
                "--sae", Self.formats.appendingPathComponent(sae).path, "-o", output.path,
            ] + extra, expectStatus: 1)
        Self.expectOneLine(result, naming: file, problem: problem)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    /// A folder of another kind given as an activation folder (a model directory): one line naming it, no manifest.
    @Test func aModelDirectoryIsNotAnActivationFolder() throws {
        let (root, cleanup) = CommandRunner.scratch("bad-activations")
        defer { cleanup() }
        let result = try CommandRunner.run(
            [
                "analyze", "--activations", CommandRunner.fixtures.appendingPathComponent("pipeline/model").path,
                "--sae", CommandRunner.fixtures.appendingPathComponent("sae/seed-sae-btopk8-l2").path,
                "-o", root.appendingPathComponent("out").path,
            ], expectStatus: 1)
        Self.expectOneLine(result, naming: "model", problem: "no activations.json here")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    static func expectOneLine(_ result: CommandRunner.Result, naming file: String, problem: String) {
        let line = result.standardError
        #expect(line.hasPrefix("error: ") && line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n"), "\(line)")
        #expect(line.split(separator: ":")[1].hasSuffix(file), "\(line) should name \(file)")
        #expect(line.contains(problem), "\(line)")
        #expect(result.standardOutput.isEmpty)
    }
}
