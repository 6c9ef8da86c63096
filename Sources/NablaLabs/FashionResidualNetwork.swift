import Nabla
import NablaNN

/// Two 3×3 convolutions with batch normalisation whose output is added to the input (He et al., 2016):
/// `relu(x + bn₂(conv₂(relu(bn₁(conv₁(x))))))`. Input and output N×C×H×W. The skip connection lets the
/// gradient reach early layers undiminished, so deeper stacks train as easily as shallow ones.
public final class ResidualBlock: Module, Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d

    public init(channels: Int, generator: RandomGenerator) {
        // No convolution bias: the batch norm that follows has its own shift.
        conv1 = Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: 1, bias: false, generator: generator)
        bn1 = BatchNorm2d(featureCount: channels)
        conv2 = Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: 1, bias: false, generator: generator)
        bn2 = BatchNorm2d(featureCount: channels)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        (input + bn2(conv2(bn1(conv1(input)).relu()))).relu()
    }
}

extension FashionArchitecture {
    /// Conv(1→32) BN ReLU → MaxPool 2 → Residual(32) → Conv(32→64) BN ReLU → MaxPool 2 → Residual(64) →
    /// Flatten → Dropout 0.3 → Linear(3136, 128) → ReLU → Linear(128, 10). The residual blocks work at
    /// 14×14 and 7×7, which keeps an epoch about three times the plain CNN's cost rather than ten.
    static func residualNetwork(_ generator: RandomGenerator) -> any Layer {
        Sequential(Conv2d(inputChannels: 1, outputChannels: 32, kernelSize: 3, padding: 1, bias: false, generator: generator),
                   BatchNorm2d(featureCount: 32), ReLU(),
                   MaxPool2d(kernelSize: 2),
                   ResidualBlock(channels: 32, generator: generator),
                   Conv2d(inputChannels: 32, outputChannels: 64, kernelSize: 3, padding: 1, bias: false, generator: generator),
                   BatchNorm2d(featureCount: 64), ReLU(),
                   MaxPool2d(kernelSize: 2),
                   ResidualBlock(channels: 64, generator: generator),
                   Flatten(),
                   Dropout(probability: 0.3, generator: generator),
                   Linear(inputSize: 64 * 7 * 7, outputSize: 128, generator: generator), ReLU(),
                   Linear(inputSize: 128, outputSize: 10, generator: generator))
    }
}
