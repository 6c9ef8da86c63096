import Nabla

/// Resizes images by an integer factor or to a fixed size, like PyTorch's `nn.Upsample`.
///
/// - `.nearest` copies the source pixel ⌊i · in/out⌋ (PyTorch's `mode='nearest'`).
/// - `.bilinear` interpolates linearly along both axes with PyTorch's half-pixel rule, or with the corner
///   pixels aligned when `alignCorners` is true (only meaningful for bilinear, as in PyTorch).
///
/// Shapes: input (N, C, H, W) → output (N, C, H·scaleFactor, W·scaleFactor) or (N, C, size.height,
/// size.width). No parameters; the gradient of either mode is exact.
///
/// ```swift
/// let up = Upsample(scaleFactor: 2, mode: .bilinear)
/// let y = up(Tensor.zeros([1, 3, 16, 16]))   // shape [1, 3, 32, 32]
/// ```
public final class Upsample: Module, Layer {
    public enum Target: Equatable, Sendable {
        case scaleFactor(Int)
        case size(Size2)
    }

    public let target: Target
    public let mode: InterpolationMode
    public let alignCorners: Bool

    public init(scaleFactor: Int, mode: InterpolationMode = .nearest, alignCorners: Bool = false) {
        precondition(scaleFactor > 0, "Upsample: scale factor \(scaleFactor) must be positive")
        self.target = .scaleFactor(scaleFactor)
        self.mode = mode
        self.alignCorners = alignCorners
        super.init()
        validate()
    }

    public init(size: Size2, mode: InterpolationMode = .nearest, alignCorners: Bool = false) {
        precondition(size.height > 0 && size.width > 0, "Upsample: size \(size) must be positive")
        self.target = .size(size)
        self.mode = mode
        self.alignCorners = alignCorners
        super.init()
        validate()
    }

    private func validate() {
        precondition(mode == .bilinear || !alignCorners,
                     "Upsample: alignCorners only applies to bilinear interpolation, as in PyTorch")
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[2] > 0 && input.shape[3] > 0,
                     "Upsample: expected input (N, C, H, W) with H, W > 0, got \(input.shape)")
        switch target {
        case .scaleFactor(let factor): return interpolate(input, scaleFactor: factor, mode: mode, alignCorners: alignCorners)
        case .size(let size): return interpolate(input, size: size, mode: mode, alignCorners: alignCorners)
        }
    }
}
