/// A reference-counted buffer of `Float` that one or more tensors view.
///
/// Views (reshape, transpose, slice, expand) share one storage; only kernels that need contiguous memory
/// allocate a new one. The buffer is 64-byte aligned so vector loads never straddle a cache line; large buffers come from
/// `BufferPool`, which reuses freed ones.
public final class Storage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// How many times the elements were written in place (`assign`, `withUnsafeMutableBufferPointer`,
    /// an optimiser's step) since the storage was made, like PyTorch's version counter. Views share it
    /// with the tensor they view. A recorded operation notes it for the tensors its backward rule
    /// reads, and backward stops if it has changed since: the gradient would be computed from the new
    /// values. Writes through `pointer` directly are not counted.
    public private(set) var version = 0

    /// Counts one in-place write (of any number of elements).
    @inline(__always)
    func noteInPlaceWrite() { version &+= 1 }

    /// Allocates `count` floats, uninitialised: the caller writes every element before reading.
    init(uninitializedCount count: Int) {
        self.count = count
        let raw = BufferPool.allocate(bytes: count * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    convenience init(_ values: [Float]) {
        self.init(uninitializedCount: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: values.count) }
        }
    }

    deinit { BufferPool.release(UnsafeMutableRawPointer(pointer), bytes: count * MemoryLayout<Float>.stride) }
}
