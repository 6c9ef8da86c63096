import Nabla
import NablaNN

/// DCGAN's generator for 28×28 images (Radford et al., 2016, sized for Fashion-MNIST):
/// z (N, latent) → Linear → 128×7×7 → BN, ReLU → ConvTranspose(128→64, 4, stride 2, pad 1) → 14×14 →
/// BN, ReLU → ConvTranspose(64→1, 4, 2, 1) → 28×28 → tanh. Output (N, 1, 28, 28) in [−1, 1].
public final class DCGANGenerator: Module, Layer {
    public let project: Linear
    public let bn1: BatchNorm2d
    public let deconv1: ConvTranspose2d
    public let bn2: BatchNorm2d
    public let deconv2: ConvTranspose2d

    public init(latentSize: Int = 100, generator: RandomGenerator) {
        project = Linear(inputSize: latentSize, outputSize: 128 * 7 * 7, generator: generator)
        bn1 = BatchNorm2d(featureCount: 128)
        deconv1 = ConvTranspose2d(inputChannels: 128, outputChannels: 64, kernelSize: 4, stride: 2, padding: 1, generator: generator)
        bn2 = BatchNorm2d(featureCount: 64)
        deconv2 = ConvTranspose2d(inputChannels: 64, outputChannels: 1, kernelSize: 4, stride: 2, padding: 1, generator: generator)
    }

    public var latentSize: Int { project.weight.shape[1] }

    public func callAsFunction(_ noise: Tensor) -> Tensor {
        precondition(noise.rank == 2 && noise.shape[1] == latentSize,
                     "DCGANGenerator: noise must be (N, \(latentSize)), got \(noise.shape)")
        let grid = project(noise).reshaped([noise.shape[0], 128, 7, 7])
        return deconv2(bn2(deconv1(bn1(grid).relu())).relu()).tanh()
    }

    /// Sets both batch norms' running statistics to the batch statistics of the current generator on
    /// `noise` (N, latent) ("standing statistics", Brock et al., 2019). During training the running
    /// statistics trail a generator that changes every step, so evaluation-mode images drawn from them
    /// lag the network; after this call evaluation mode normalises as training mode does on a large batch.
    public func standStatistics(noise: Tensor) {
        precondition(noise.rank == 2 && noise.shape[1] == latentSize && noise.shape[0] > 1,
                     "DCGANGenerator.standStatistics: noise must be (N > 1, \(latentSize)), got \(noise.shape)")
        withoutGradients {
            func stand(_ norm: BatchNorm2d, _ input: Tensor) {
                let count = Float(input.count / input.shape[1])
                let mean = input.mean(axes: [0, 2, 3])
                let centered = input - mean.reshaped([1, -1, 1, 1])
                norm.runningMean.assign(mean)
                norm.runningVariance.assign((centered * centered).sum(axes: [0, 2, 3]) / (count - 1))
            }
            let wasTraining = isTraining
            eval()
            defer { if wasTraining { train() } }
            let grid = project(noise).reshaped([noise.shape[0], 128, 7, 7])
            stand(bn1, grid)
            stand(bn2, deconv1(bn1(grid).relu()))
        }
    }
}

/// DCGAN's discriminator (or, without batch normalisation, WGAN-GP's critic) for (N, 1, 28, 28) images:
/// Conv(1→64, 4, 2, 1) → LeakyReLU 0.2 → Conv(64→128, 4, 2, 1) → BN → LeakyReLU 0.2 → Linear(128·7·7 → 1).
/// Output (N, 1): logits (or critic scores).
///
/// WGAN-GP's penalty is per sample, which batch normalisation would couple across the batch, so the
/// critic leaves it out (`batchNormalization: false`), as Gulrajani et al. do.
public final class DCGANDiscriminator: Module, Layer {
    public let conv1: Conv2d
    public let conv2: Conv2d
    public let bn: BatchNorm2d?
    public let classify: Linear

    public init(batchNormalization: Bool = true, generator: RandomGenerator) {
        conv1 = Conv2d(inputChannels: 1, outputChannels: 64, kernelSize: 4, stride: 2, padding: 1, generator: generator)
        conv2 = Conv2d(inputChannels: 64, outputChannels: 128, kernelSize: 4, stride: 2, padding: 1, generator: generator)
        bn = batchNormalization ? BatchNorm2d(featureCount: 128) : nil
        classify = Linear(inputSize: 128 * 7 * 7, outputSize: 1, generator: generator)
    }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4 && Array(images.shape.dropFirst()) == [1, 28, 28],
                     "DCGANDiscriminator: images must be (N, 1, 28, 28), got \(images.shape)")
        var hidden = conv2(conv1(images).leakyRelu(negativeSlope: 0.2))
        if let bn { hidden = bn(hidden) }
        return classify(hidden.leakyRelu(negativeSlope: 0.2).reshaped([images.shape[0], 128 * 7 * 7]))
    }
}
