import Foundation
import Formats
import LMRuntime

/// Decides which hook an analysis reads and checks it against the SAE: the layer and hook name default to the SAE's
/// own config; a requested hook that differs from it, or an SAE whose `d_in` differs from the model's width, is an
/// `InputError` that names both values (the seed never checked either, seed inventory §2.1).
public enum SAEHookCheck {
    /// The hook to run. `requestedHook` is a full name (`blocks.9.hook_resid_post`) or just the point
    /// (`hook_resid_post`, the seed's `hook_name`), combined with `requestedLayer` or the SAE's layer; with neither,
    /// the SAE's own hook. `modelWidth` is the width of the model's activations at that hook; with `model`, a hook
    /// that model does not have (a layer past the last, `hook_resid_mid` of parallel blocks) is an error too. The
    /// errors about the model name `modelConfig`, its config.json, when given.
    public static func resolve(
        sae: SAEConfig, requestedHook: String? = nil, requestedLayer: Int? = nil,
        modelWidth: Int, model: DecoderSpec? = nil, modelConfig: URL? = nil
    ) throws -> String {
        var hook = sae.hookName
        if let requestedHook, requestedHook.hasPrefix("blocks.") {
            hook = requestedHook
            if let requestedLayer, SAEConfig.layer(inHookName: requestedHook) != requestedLayer {
                throw InputError("requested hook \"\(requestedHook)\" is not on the requested layer \(requestedLayer)")
            }
        } else if requestedHook != nil || requestedLayer != nil {
            guard let layer = requestedLayer ?? sae.layer, let point = requestedHook ?? hookPoint(of: sae.hookName) else {
                throw InputError("cannot combine the requested layer/hook with the SAE's hook \"\(sae.hookName)\"")
            }
            hook = "blocks.\(layer).\(point)"
        }
        guard hook == sae.hookName else {
            throw InputError("requested hook \(hook) but the SAE was trained on \(sae.hookName)")
        }
        if let model {
            do {
                _ = try model.hook(named: hook)
            } catch let error as InputError {
                throw InputError(
                    "the SAE reads \(hook) (\(sae.format.rawValue)), which this \(model.family.rawValue) model cannot provide: \(error.message)",
                    path: modelConfig?.path)
            }
        }
        guard sae.dIn == modelWidth else {
            throw InputError(
                "the SAE's d_in is \(sae.dIn) but the model's activations at \(hook) are \(modelWidth) wide", path: modelConfig?.path)
        }
        return hook
    }

    /// `hook_resid_post` in `blocks.9.hook_resid_post`.
    private static func hookPoint(of name: String) -> String? {
        let parts = name.split(separator: ".", maxSplits: 2)
        return parts.count == 3 && parts[0] == "blocks" ? String(parts[2]) : nil
    }
}
