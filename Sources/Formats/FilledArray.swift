extension Array {
    /// An array of `count` elements that `fill` initializes, all of them: `init(unsafeUninitializedCapacity:)`, except
    /// that no elements give `[]`. For a count of 0 the standard library writes the count into the storage every empty
    /// array shares, which ThreadSanitizer reports as a race with any thread reading another empty array.
    package init(count: Int, filling fill: (UnsafeMutableBufferPointer<Element>) throws -> Void) rethrows {
        guard count > 0 else {
            self = []
            return
        }
        try self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            try fill(buffer)
            initialized = count
        }
    }
}
