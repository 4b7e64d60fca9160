@testable import Formats
import Foundation
@testable import LMRuntime

/// The committed fixtures of `scripts/fixtures/make_model_fixtures.py`.
enum ModelFixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/model")

    static func directory(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// A fixture model with the transformers outputs it was checked against.
    struct Reference {
        let model: DecoderModel
        let sequences: [[Int32]]
        let outputs: SafetensorsFile

        init(_ name: String) throws {
            let directory = ModelFixtures.directory(name)
            model = try DecoderModel(modelDirectory: directory)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("reference.json")))
            sequences = ((json as! [String: Any])["sequences"] as! [[Int]]).map { $0.map(Int32.init) }
            outputs = try SafetensorsFile(contentsOf: directory.appendingPathComponent("reference.safetensors"))
        }

        /// Reference tensor `name` of sequence `index` (e.g. "blocks.2.hook_mlp_out", "logits").
        func tensor(_ index: Int, _ name: String) throws -> [Float] { try outputs.floatTensor("\(index).\(name)").values }
    }
}

extension ModelFixtures {
    /// max |a − b| / max |b|: the error relative to the reference's scale.
    static func relativeError(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        let scale = b.map(abs).max() ?? 0
        let error = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        return scale > 0 ? error / scale : error
    }

    /// Every hook a model has, in forward order.
    static func allHooks(_ model: DecoderModel) -> [Hook] {
        model.hookNames.map { try! Hook(parsing: $0, layerCount: model.layerCount) }
    }

    /// Copies a fixture directory to a fresh temporary directory (to corrupt a copy).
    static func temporaryCopy(of directory: URL) throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("model-test-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: directory, to: copy)
        return copy
    }
}
