import Nabla
import NablaNN

/// A variational auto-encoder with MLP encoder and decoder and a Bernoulli decoder (Kingma & Welling,
/// 2014), sized for flattened 28×28 images:
///
///     encoder  x (N, 784) → Linear 512 → ReLU → Linear 256 → ReLU → mean, log σ² (N, latent)
///     decoder  z (N, latent) → Linear 256 → ReLU → Linear 512 → ReLU → Linear 784 → logits (N, 784)
///
/// The decoder gives logits of independent Bernoulli pixels: p(x | z) = Π sigmoid(logit)^x (1 − sigmoid)^(1−x),
/// used with grey levels in [0, 1] as targets (the usual binary cross-entropy).
///
/// ```swift
/// let vae = VariationalAutoEncoder(latentSize: 2, generator: RandomGenerator(seed: 0))
/// let bound = vae.negativeEvidenceLowerBound(images, noise: generator.normal([images.shape[0], 2]))
/// minimize(bound.loss, with: optimizer)
/// ```
public final class VariationalAutoEncoder: Module, Layer {
    public let encoder: Sequential
    public let meanHead: Linear
    public let logVarianceHead: Linear
    public let decoder: Sequential

    public init(inputSize: Int = 784, hiddenSizes: (first: Int, second: Int) = (512, 256), latentSize: Int = 2,
                generator: RandomGenerator) {
        precondition(inputSize > 0 && hiddenSizes.first > 0 && hiddenSizes.second > 0 && latentSize > 0,
                     "VariationalAutoEncoder: sizes must be positive, got input \(inputSize), hidden \(hiddenSizes), latent \(latentSize)")
        encoder = Sequential([Linear(inputSize: inputSize, outputSize: hiddenSizes.first, generator: generator), ReLU(),
                              Linear(inputSize: hiddenSizes.first, outputSize: hiddenSizes.second, generator: generator), ReLU()])
        meanHead = Linear(inputSize: hiddenSizes.second, outputSize: latentSize, generator: generator)
        logVarianceHead = Linear(inputSize: hiddenSizes.second, outputSize: latentSize, generator: generator)
        decoder = Sequential([Linear(inputSize: latentSize, outputSize: hiddenSizes.second, generator: generator), ReLU(),
                              Linear(inputSize: hiddenSizes.second, outputSize: hiddenSizes.first, generator: generator), ReLU(),
                              Linear(inputSize: hiddenSizes.first, outputSize: inputSize, generator: generator)])
    }

    public var latentSize: Int { meanHead.weight.shape[0] }
    public var inputSize: Int { encoder.parameters()[0].shape[1] }

    /// q(z | x): its mean and log-variance, each (N, latent), for images (N, input).
    public func encode(_ images: Tensor) -> (mean: Tensor, logVariance: Tensor) {
        precondition(images.rank == 2 && images.shape[1] == inputSize,
                     "VariationalAutoEncoder.encode: images must be (N, \(inputSize)), got \(images.shape)")
        let hidden = encoder(images)
        return (meanHead(hidden), logVarianceHead(hidden))
    }

    /// The Bernoulli logits (N, input) of p(x | z) for latent codes z (N, latent).
    public func decode(_ codes: Tensor) -> Tensor {
        precondition(codes.rank == 2 && codes.shape[1] == latentSize,
                     "VariationalAutoEncoder.decode: codes must be (N, \(latentSize)), got \(codes.shape)")
        return decoder(codes)
    }

    /// The reconstruction logits from the posterior mean: the decoder's picture of what the encoder saw.
    public func callAsFunction(_ images: Tensor) -> Tensor { decode(encode(images).mean) }

    /// −ELBO of `images` (N, input) in [0, 1], with one reparameterised sample z = μ + σ·`noise`
    /// (noise (N, latent) from N(0, 1)): Bernoulli reconstruction NLL + β·KL(q(z | x) ‖ N(0, I)), each
    /// summed over an image and averaged over the batch.
    public func negativeEvidenceLowerBound(_ images: Tensor, noise: Tensor, beta: Float = 1) -> EvidenceLowerBound {
        let (mean, logVariance) = encode(images)
        let codes = reparameterize(mean: mean, logVariance: logVariance, noise: noise)
        return EvidenceLowerBound(reconstruction: bernoulliNegativeLogLikelihood(logits: decode(codes), target: images),
                                  klDivergence: gaussianKLDivergence(mean: mean, logVariance: logVariance), beta: beta)
    }
}
