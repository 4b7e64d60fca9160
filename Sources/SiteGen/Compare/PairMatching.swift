import Formats
import Foundation
import SAECore

/// Reads a run's decoder: `(SAE directory, recorded hashes of its files) → W_dec [d_sae, d_in]`. The command line
/// passes `RunDecoder.load`; the site generator itself never reads model files.
public typealias DecoderLoader = @Sendable (_ directory: URL, _ recordedHashes: [String: String]) throws -> FloatTensor

/// Feature matching of one pair of runs, or why it was not done.
struct PairMatching: Sendable {
    let a: Int
    let b: Int
    let outcome: Result<FeatureMatching, Skip>
    /// Seconds the matching itself took (decoders already loaded).
    var seconds: Double = 0

    /// Why a pair was not matched, and because of which run (nil when it is about the pair).
    struct Skip: Error, Sendable, CustomStringConvertible {
        var run: String?
        var reason: SkipReason
        var description: String { (run.map { "run \($0): " } ?? "") + reason.description }
    }

    /// Every pair (i < j) of `runs`, matched where both decoders load and have the same width. With
    /// `.require`, any pair that cannot be matched throws an `InputError` naming the run and the reason.
    static func all(_ runs: [ComparedRun], mode: CompareOptions.Matching, load: DecoderLoader?) throws -> [PairMatching] {
        var decoders: [Int: Result<FloatTensor, SkipReason>] = [:]
        func decoder(_ run: ComparedRun) throws -> Result<FloatTensor, SkipReason> {
            if let cached = decoders[run.index] { return cached }
            let result: Result<FloatTensor, SkipReason>
            switch run.sae {
            case .failure(let reason): result = .failure(reason)
            case .success(let directory):
                do {
                    guard let load else { throw InputError("no decoder loader was given") }
                    let tensor = try load(directory, run.saeHashes)
                    result =
                        tensor.shape.first == run.dSae
                        ? .success(tensor)
                        : .failure(.featureCountMismatch(sae: tensor.shape.first ?? 0, run: run.dSae))
                } catch let error as InputError {
                    result = .failure(.unloadable(error.description))
                }
            }
            if mode == .require, case .failure(let reason) = result {
                throw InputError(
                    "cannot match the features of run \(run.label) (--match require): \(reason)",
                    url: run.directory.url)
            }
            decoders[run.index] = result
            return result
        }

        var pairs: [PairMatching] = []
        for i in runs.indices {
            for j in runs.indices where j > i {
                guard mode != .off else {
                    pairs.append(PairMatching(a: i, b: j, outcome: .failure(Skip(reason: .off))))
                    continue
                }
                let first = try decoder(runs[i]), second = try decoder(runs[j])
                let start = Date()
                let outcome: Result<FeatureMatching, Skip>
                switch (first, second) {
                case (.failure(let reason), _):
                    outcome = .failure(Skip(run: runs[i].label, reason: reason))
                case (_, .failure(let reason)):
                    outcome = .failure(Skip(run: runs[j].label, reason: reason))
                case (.success(let x), .success(let y)) where x.shape[1] != y.shape[1]:
                    if mode == .require {
                        throw InputError(
                            "cannot match runs \(runs[i].label) and \(runs[j].label) (--match require): "
                                + "\(SkipReason.widthMismatch(x.shape[1], y.shape[1]))")
                    }
                    outcome = .failure(Skip(reason: .widthMismatch(x.shape[1], y.shape[1])))
                case (.success(let x), .success(let y)):
                    outcome = .success(try FeatureMatching(decoderA: x, decoderB: y))
                }
                pairs.append(PairMatching(a: i, b: j, outcome: outcome, seconds: Date().timeIntervalSince(start)))
            }
        }
        return pairs
    }
}
