import Analyze
import ArgumentParser
import Foundation
import LMRuntime
import SAECore

struct ActivationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Run the model and save every token's activation at a hook as an activation folder (docs/activations.md).",
        discussion: """
            Texts are tokenized with the model's tokenizer.json as its own encode does (a BOS only where its post-processor adds one, as Gemma's does), split into windows of at most --ctx \
            tokens (each window starts again at position 0) and run in packed batches of about --batch-tokens tokens, \
            exactly as `analyze` runs them; the forward pass stops at the hook. Writes OUTPUT/activations.json (the \
            manifest), float32 [n_tokens, d] shards activations-NNNNN.npy in corpus order, tokens.npy (int32 \
            [n_tokens, 3]: token_id, text_idx, position) and a copy of tokenizer.json. `sae-report analyze \
            --activations OUTPUT --sae SAE -o ANALYSIS` then analyzes them without the model. Texts that are empty or \
            whitespace only are skipped, as `analyze` does. With --sae the folder holds exactly what `analyze --model` \
            feeds that SAE: its hook (--hook may be left out), a BOS before every window of --ctx tokens when it was \
            trained with prepend_bos, and the centered residual when it reads one (center_writing_weights).
            """)
    @Option(help: "Hugging Face model directory (config.json, *.safetensors, tokenizer.json).") var model: String
    @Option(help: "Corpus: a JSON list of strings.") var data: String
    @Option(help: "Hook name, e.g. blocks.9.hook_resid_post (default with --sae: the SAE's hook).") var hook: String?
    @Option(help: "The SAE the folder is for: its hook, its prepend_bos (BOS in every window) and its residual view.")
    var sae: String?
    @Option(help: "With --sae: which SAE of a folder that holds several (a sparsify hookpoint or an OpenAI layer file).")
    var hookpoint: String?
    @Option(help: "With --sae: the Gemma Scope site when the path does not name the repository (res, mlp or att).")
    var site: GemmaScopeSite?
    @Flag(help: "With --sae: write the folder although the SAE records a model of another family than --model's (a warning instead of an error).")
    var allowOtherModel = false
    @Option(name: .shortAndLong, help: "Output activation folder (must not exist).") var output: String
    @Option(help: "Context window: longer texts are split into windows of this many tokens.") var ctx = 1024
    @Option(help: "Tokens per forward batch (memory grows with it).") var batchTokens = 4096
    @Option(help: "The model's weight matrices: fp32, or bf16 (half the memory, AVX-512 BF16 products; activations stay fp32).")
    var dtype = WeightDType.fp32
    @Option(help: "Rows per shard file (default: one shard).") var shardTokens: Int?
    @OptionGroup var threads: ThreadsArgument

    func validate() throws {
        guard ctx > 0 else { throw ValidationError("--ctx must be positive, not \(ctx)") }
        guard batchTokens > 0 else { throw ValidationError("--batch-tokens must be positive, not \(batchTokens)") }
        if let shardTokens, shardTokens < 1 { throw ValidationError("--shard-tokens must be positive, not \(shardTokens)") }
        guard hook != nil || sae != nil else { throw ValidationError("give --hook, or --sae to take the SAE's hook") }
        guard sae != nil || (hookpoint == nil && site == nil && !allowOtherModel) else {
            throw ValidationError("--hookpoint, --site and --allow-other-model go with --sae")
        }
    }

    func run() throws {
        try reportingInputErrors {
            threads.apply()
            let summary = try ActivationDump.write(
                model: URL(fileURLWithPath: model), corpus: URL(fileURLWithPath: data), hook: hook,
                sae: sae.map {
                    ActivationDump.SAEChoice(
                        directory: URL(fileURLWithPath: $0), selection: SAESelection(hookpoint: hookpoint, site: site),
                        allowOtherModel: allowOtherModel)
                }, to: URL(fileURLWithPath: output), context: ctx, batchTokens: batchTokens, shardTokens: shardTokens, dtype: dtype)
            if let warning = summary.modelWarning { printError("warning: \(warning)") }
            printError(
                "\(output): [\(summary.tokens), \(summary.width)] float32 at \(summary.hook) from \(summary.texts) "
                    + "texts (\(summary.skippedTexts) skipped) in \(summary.batches) batches, \(summary.shards) shards; "
                    + "\(dtype.rawValue) products: \(productKernel(dtype)); row kernels: \(RowKernels.instructionSet)")
        }
    }
}

/// The kernel that multiplies weights of `dtype` here, with the oneDNN implementation or OpenBLAS core it runs on.
func productKernel(_ dtype: WeightDType) -> String {
    let oneDNN = dtype == .bf16 ? BF16Kernel.current == .onednn : FP32Kernel.current == .onednn
    let name = dtype == .bf16 ? BF16Kernel.current.rawValue : FP32Kernel.current.rawValue
    if oneDNN { return "\(name) (\(oneDNNImplementation(bf16: dtype == .bf16)))" }
    if dtype == .bf16 && BF16Kernel.current == .avx512 { return name }
    return "\(name) (OpenBLAS \(BLAS.coreName ?? "?") kernels)"
}
