/// The `k`-th largest of `count` values (k from 1), found by quickselect in expected O(count) time.
/// Reorders the buffer. NaN must not occur (the callers' inputs come from finite weights).
func kthLargest(_ values: UnsafeMutablePointer<Float>, count: Int, k: Int) -> Float {
    precondition(k >= 1 && k <= count, "k \(k) outside 1...\(count)")
    // Select the element that would be at index k-1 in descending order.
    let target = k - 1
    var low = 0, high = count - 1
    while low < high {
        // Median of three as the pivot guards against sorted inputs.
        let middle = low + (high - low) / 2
        let a = values[low], b = values[middle], c = values[high]
        let pivot = max(min(a, b), min(max(a, b), c))
        var i = low, j = high
        while i <= j {
            while values[i] > pivot { i += 1 }
            while values[j] < pivot { j -= 1 }
            if i <= j {
                values.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        // Now [low, j] ≥ pivot ≥ [i, high], and everything strictly between j and i equals the pivot.
        if target <= j {
            high = j
        } else if target >= i {
            low = i
        } else {
            return values[target]
        }
    }
    return values[target]
}

private extension UnsafeMutablePointer where Pointee == Float {
    func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
