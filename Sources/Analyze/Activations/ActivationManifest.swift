import Formats
import Foundation

/// `activations.json`, the manifest of an activation folder (docs/activations.md): what model and hook the
/// activations come from, their width and element type, the shard files in row order, the token table, and
/// optionally the tokenizer, the window length the model ran with and the corpus's text count.
public struct ActivationManifest: Equatable, Sendable {
    public static let fileName = "activations.json"
    public static let formatName = "sae-report-activations"
    public static let version = 1

    /// The element types a shard may hold, named as PyTorch names them.
    public enum DType: String, CaseIterable, Sendable {
        case float32, float16, bfloat16

        var tensorDType: TensorDType {
            switch self {
            case .float32: .f32
            case .float16: .f16
            case .bfloat16: .bf16
            }
        }
    }

    public var modelName: String
    /// TransformerLens hook name, e.g. `blocks.40.hook_resid_post`.
    public var hookName: String
    public var dIn: Int
    public var dtype: DType
    /// Shard file names (relative to the folder), in row order.
    public var shards: [String]
    /// The token table's file name (`.npy` or `.safetensors`).
    public var tokens: String
    /// The tokenizer for display (`tokenizer.json`), when the folder has one.
    public var tokenizer: String?
    /// The model ran each text in windows of this many tokens (the `position` column counts on across windows);
    /// nil: each text in one sequence.
    public var context: Int?
    /// Texts in the corpus the activations came from, skipped ones included (nil: the texts in the token table).
    public var textCount: Int?
    /// Texts of that corpus left out, and why.
    public var skippedTexts: [Corpus.Skipped]

    public init(
        modelName: String, hookName: String, dIn: Int, dtype: DType, shards: [String], tokens: String,
        tokenizer: String? = nil, context: Int? = nil, textCount: Int? = nil, skippedTexts: [Corpus.Skipped] = []
    ) {
        (self.modelName, self.hookName, self.dIn, self.dtype) = (modelName, hookName, dIn, dtype)
        (self.shards, self.tokens, self.tokenizer) = (shards, tokens, tokenizer)
        (self.context, self.textCount, self.skippedTexts) = (context, textCount, skippedTexts)
    }

    /// Reads and checks `folder/activations.json`; every problem is an `InputError` naming the manifest.
    public init(folder: URL) throws {
        let url = folder.appendingPathComponent(Self.fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw InputError("no \(Self.fileName) here: an activation folder needs its manifest (docs/activations.md)", url: folder)
        }
        let json = try JSONConfig(contentsOf: url)
        func fail(_ message: String) -> InputError { InputError(message, url: url) }
        guard try json.string("format") == Self.formatName else {
            throw fail("key \"format\" must be \"\(Self.formatName)\", found \(json.value("format")!.summary)")
        }
        guard try json.int("version") == Self.version else {
            throw fail("version \(try json.int("version")) is not supported (this tool reads version \(Self.version))")
        }
        modelName = try json.string("model_name")
        hookName = try json.string("hook_name")
        dIn = try json.positiveInt("d_in")
        let dtypeName = try json.string("dtype")
        guard let dtype = DType(rawValue: dtypeName) else {
            throw fail("key \"dtype\" must be one of \(DType.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(dtypeName)\"")
        }
        self.dtype = dtype
        shards = try json.stringArray("shards")
        guard !shards.isEmpty else { throw fail("key \"shards\" lists no file") }
        tokens = try json.string("tokens")
        tokenizer = try json.optionalString("tokenizer")
        for name in shards + [tokens] + (tokenizer.map { [$0] } ?? []) {
            guard !name.isEmpty, !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
                throw fail("file name \"\(name)\" must be relative to the folder and stay inside it")
            }
        }
        guard Set(shards).count == shards.count else { throw fail("key \"shards\" lists a file twice") }
        context = try json.optionalPositiveInt("context")
        textCount = try json.optionalInt("n_texts")
        if let textCount, textCount < 0 { throw fail("key \"n_texts\" must not be negative, found \(textCount)") }
        var skipped: [Corpus.Skipped] = []
        if let list = json.value("skipped_texts"), list != .null {
            guard case .array(let items) = list else { throw fail("key \"skipped_texts\" must be a list") }
            for item in items {
                guard case .object(let fields) = item, case .int(let index)? = fields["text_idx"], index >= 0,
                    case .string(let reason)? = fields["reason"]
                else { throw fail("each of \"skipped_texts\" must be {\"text_idx\": int ≥ 0, \"reason\": str}") }
                skipped.append(Corpus.Skipped(textIdx: index, reason: reason))
            }
        }
        skippedTexts = skipped
    }

    /// The manifest as written to `activations.json`.
    public var json: OrderedJSON {
        var fields: [(String, OrderedJSON)] = [
            ("format", .string(Self.formatName)), ("version", .int(Self.version)),
            ("model_name", .string(modelName)), ("hook_name", .string(hookName)),
            ("d_in", .int(dIn)), ("dtype", .string(dtype.rawValue)),
            ("shards", .array(shards.map(OrderedJSON.string))), ("tokens", .string(tokens)),
        ]
        if let tokenizer { fields.append(("tokenizer", .string(tokenizer))) }
        if let context { fields.append(("context", .int(context))) }
        if let textCount { fields.append(("n_texts", .int(textCount))) }
        fields.append(
            (
                "skipped_texts",
                .array(skippedTexts.map { .object([("text_idx", .int($0.textIdx)), ("reason", .string($0.reason))]) })
            ))
        return .object(fields)
    }
}
