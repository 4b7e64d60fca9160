import Formats
import Foundation
import LMRuntime

/// Compares the model an SAE records it was trained on (`SAEConfig.modelName`) with the family of the model it is
/// run on (its config.json `model_type`). An SAE read from another family's residual stream gives plausible, wrong
/// numbers, and `d_in` alone does not catch it (Gemma 2 2B and Llama 3 share no width, but GPT-2 small and
/// Pythia-160M do). Names it does not know, and SAEs that record none, are not checked.
public enum SAEModelFamilyCheck {
    /// The family a recorded model name implies: TransformerLens aliases (`gpt2-small`, `pythia-70m-deduped`,
    /// `gemma-2-2b`) and Hugging Face repositories (`google/gemma-2-2b`, `meta-llama/Llama-3.1-8B`,
    /// `Qwen/Qwen3-0.6B`), case-insensitive; nil for a name it does not know.
    public static func family(ofRecordedModel name: String) -> DecoderSpec.Family? {
        let lowered = name.lowercased().trimmingCharacters(in: .whitespaces)
        let parts = lowered.split(separator: "/", omittingEmptySubsequences: false)
        let organization = parts.count > 1 ? String(parts[parts.count - 2]) : nil
        let model = String(parts.last ?? "")
        func starts(_ prefixes: String...) -> Bool { prefixes.contains { model.hasPrefix($0) } }
        if starts("gpt2", "distilgpt2") { return .gpt2 }
        if starts("pythia-") { return .gptNeoX }
        if starts("gemma-2-") { return .gemma2 }
        if starts("gemma-3-") { return .gemma3 }
        if starts("llama-2-", "llama-3", "meta-llama-3") { return .llama }
        if starts("mixtral") { return nil }
        if starts("mistral") || organization == "mistralai" { return .mistral }
        if starts("qwen3") { return .qwen3 }
        if starts("qwen2") { return .qwen2 }
        return nil
    }

    /// Whether an SAE recorded for `recorded` may read a `model` checkpoint. Llama and Mistral checkpoints run the
    /// same decoder and Mistral fine-tunes are often shipped with `model_type: llama`, so the two are accepted for each
    /// other; Gemma 2 and 3, and Qwen2 and 3, are different models.
    public static func matches(_ recorded: DecoderSpec.Family, _ model: DecoderSpec.Family) -> Bool {
        let llamaLike: Set<DecoderSpec.Family> = [.llama, .mistral]
        return recorded == model || (llamaLike.contains(recorded) && llamaLike.contains(model))
    }

    /// The problem, in one sentence, when `sae` records a model of another family than `model`'s; nil when they match
    /// or the SAE's recorded model is unknown or absent.
    public static func mismatch(sae: SAEConfig, model: DecoderSpec) -> String? {
        guard let recorded = sae.modelName, let family = family(ofRecordedModel: recorded), !matches(family, model.family)
        else { return nil }
        return "the SAE was trained on \(recorded) (a \(family.rawValue) model) but the model's config.json has model_type "
            + "\"\(model.family.rawValue)\""
    }

    /// Throws the mismatch as an `InputError` naming `saeFile` (the file that records the SAE's model) and the
    /// model's `modelConfig`, unless `allowOtherModel`; then returns it as a warning for the run's results.
    public static func check(
        sae: SAEConfig, saeFile: URL, model: DecoderSpec, modelConfig: URL, allowOtherModel: Bool
    ) throws -> String? {
        guard let problem = mismatch(sae: sae, model: model) else { return nil }
        guard allowOtherModel else {
            throw InputError(
                "\(problem) (\(modelConfig.path)); pass --allow-other-model to run it anyway", url: saeFile)
        }
        return "\(problem); run anyway (--allow-other-model)"
    }
}
