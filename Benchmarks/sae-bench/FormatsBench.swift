import Formats
import Foundation

/// `sae-bench formats FILE.safetensors [REPEATS]`: opens the file and converts each tensor to Float, reporting the
/// best time over REPEATS runs. `scripts/bench/bench-formats.sh` runs torch's conversion of the same file beside it.
enum FormatsBench {
    static func run(_ arguments: [String]) throws {
        guard let path = arguments.first else {
            throw InputError("usage: sae-bench formats FILE.safetensors [REPEATS]")
        }
        let repeats = arguments.count > 1 ? Int(arguments[1]) ?? 3 : 3
        let url = URL(fileURLWithPath: path)
        let file = try SafetensorsFile(contentsOf: url)
        for name in file.tensorNames {
            var best = Double.infinity
            var checksum: Double = 0
            for _ in 0..<repeats {
                // A fresh mapping each time, as when a model is loaded: the cost of faulting the file in counts.
                let start = DispatchTime.now().uptimeNanoseconds
                let tensor = try SafetensorsFile(contentsOf: url).floatTensor(name)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                checksum = Double(tensor.values[tensor.values.count / 2])
            }
            let count = file.shape(of: name)!.reduce(1, *)
            print(
                "swift \(name) \(file.dtype(of: name)!.rawValue) elements=\(count) best_s=\(String(format: "%.4f", best)) "
                    + "Melem_per_s=\(String(format: "%.0f", Double(count) / best / 1e6)) probe=\(checksum)")
        }
    }
}
