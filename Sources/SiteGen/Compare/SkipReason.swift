/// Why a run's SAE, or a pair of runs, was not matched.
enum SkipReason: Error, Sendable, Equatable, CustomStringConvertible {
    case off
    case noSAEPath
    case saeNotFound(String)
    case unloadable(String)
    case featureCountMismatch(sae: Int, run: Int)
    case widthMismatch(Int, Int)

    var description: String {
        switch self {
        case .off: "matching was turned off (--match off)"
        case .noSAEPath: "the run's config records no sae_path (give one with --sae)"
        case .saeNotFound(let path): "the SAE recorded as sae_path \"\(path)\" was not found (give its directory with --sae)"
        case .unloadable(let message): "the SAE could not be read: \(message)"
        case .featureCountMismatch(let sae, let run):
            "the SAE has \(sae) features but the run has \(run): it is not the SAE the run analysed"
        case .widthMismatch(let a, let b): "the SAEs have different input widths (d_in \(a) and \(b)), so their decoders live in different spaces"
        }
    }
}
