/// Batch normalisation in two passes over memory each way, channel by channel.
///
/// Composed from reductions and element-wise operations, one training step of a batch-norm layer made
/// about a dozen passes over its activations (mean, variance, subtract, divide, scale, shift, and the
/// broadcast sums of their gradients). Here the forward pass reads the input twice (mean, then the
/// variance about it) and writes the output once; the backward pass reads the input and the output
/// gradient once for the two per-channel sums and once more to write the input gradient.
///
/// A tensor (N, C, S...) is seen as N·C planes of S = ∏ S... contiguous values; channel c owns planes
/// c, C + c, 2C + c, .... Channels are independent, so they are shared among the cores, and each one
/// is summed in a fixed order whatever the core count: results repeat to the last bit.
struct BatchNormShape {
    let batch: Int, channels: Int, plane: Int
    var perChannel: Int { batch * plane }

    init(_ shape: [Int]) {
        batch = shape[0]
        channels = shape[1]
        plane = shape.dropFirst(2).reduce(1, *)
    }

    /// Calls `body` with each plane of `channel`: its start in a tensor of this shape.
    @inline(__always)
    func forEachPlane(of channel: Int, _ body: (Int) -> Void) {
        for n in 0..<batch { body((n * channels + channel) * plane) }
    }

    /// Runs `body` for every channel, spread over the cores when the tensor is large enough.
    func forEachChannel(_ body: (Int) -> Void) {
        parallelChunks(channels, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(perChannel, 1))) { range in
            for channel in range { body(channel) }
        }
    }
}

/// The batch statistics of each channel: mean, biased variance and 1 / √(variance + ε).
struct BatchNormStatistics {
    let mean: [Float]
    let variance: [Float]
    let inverseDeviation: [Float]
}

/// Σ values[i] for `count` floats, in eight lanes added at the end (Double for the lanes' total).
@inline(__always)
private func laneSum(_ values: UnsafePointer<Float>, count: Int) -> Double {
    var lanes = SIMD8<Float>(repeating: 0)
    var index = 0
    while index + 8 <= count {
        lanes += UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
        index += 8
    }
    var total = Double(lanes.sum())
    while index < count { total += Double(values[index]); index += 1 }
    return total
}

/// Σ (values[i] − centre)² for `count` floats.
@inline(__always)
private func squaredDeviationSum(_ values: UnsafePointer<Float>, count: Int, centre: Float) -> Double {
    var lanes = SIMD8<Float>(repeating: 0)
    let centres = SIMD8<Float>(repeating: centre)
    var index = 0
    while index + 8 <= count {
        let deviation = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self) - centres
        lanes += deviation * deviation
        index += 8
    }
    var total = Double(lanes.sum())
    while index < count {
        let deviation = values[index] - centre
        total += Double(deviation * deviation)
        index += 1
    }
    return total
}

/// Σ a[i]·(b[i] − centre) and Σ a[i] for `count` floats.
@inline(__always)
private func centredProductAndSum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, centre: Float) -> (product: Double, sum: Double) {
    var products = SIMD8<Float>(repeating: 0), sums = SIMD8<Float>(repeating: 0)
    let centres = SIMD8<Float>(repeating: centre)
    var index = 0
    while index + 8 <= count {
        let left = UnsafeRawPointer(a + index).loadUnaligned(as: SIMD8<Float>.self)
        products += left * (UnsafeRawPointer(b + index).loadUnaligned(as: SIMD8<Float>.self) - centres)
        sums += left
        index += 8
    }
    var product = Double(products.sum()), sum = Double(sums.sum())
    while index < count {
        product += Double(a[index] * (b[index] - centre))
        sum += Double(a[index])
        index += 1
    }
    return (product, sum)
}

/// destination[i] = (source[i] − centre)·scale + shift for `count` floats. Centring first keeps the
/// precision of inputs whose mean is large beside their spread.
@inline(__always)
private func centredAffine(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int,
                           centre: Float, scale: Float, shift: Float) {
    let centres = SIMD8<Float>(repeating: centre), scales = SIMD8<Float>(repeating: scale), shifts = SIMD8<Float>(repeating: shift)
    var index = 0
    while index + 8 <= count {
        let value = (UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self) - centres) * scales + shifts
        UnsafeMutableRawPointer(destination + index).storeBytes(of: value, as: SIMD8<Float>.self)
        index += 8
    }
    while index < count { destination[index] = (source[index] - centre) * scale + shift; index += 1 }
}

/// Each channel's batch mean and biased variance (two passes: the mean, then the squares about it).
/// `input` is contiguous (N, C, S...).
func batchNormStatisticsKernel(_ input: Tensor, epsilon: Float) -> BatchNormStatistics {
    let shape = BatchNormShape(input.shape)
    let x = UnsafePointer(input.storage.pointer + input.layout.offset)
    var mean = [Float](repeating: 0, count: shape.channels)
    var variance = mean, inverseDeviation = mean
    mean.withUnsafeMutableBufferPointer { means in
        variance.withUnsafeMutableBufferPointer { variances in
            inverseDeviation.withUnsafeMutableBufferPointer { inverses in
                let (means, variances, inverses) = (UncheckedSendable(means), UncheckedSendable(variances), UncheckedSendable(inverses))
                shape.forEachChannel { channel in
                    var total = 0.0
                    shape.forEachPlane(of: channel) { start in total += laneSum(x + start, count: shape.plane) }
                    let channelMean = Float(total / Double(shape.perChannel))
                    var squares = 0.0
                    shape.forEachPlane(of: channel) { start in squares += squaredDeviationSum(x + start, count: shape.plane, centre: channelMean) }
                    let channelVariance = squares / Double(shape.perChannel)
                    means.value[channel] = channelMean
                    variances.value[channel] = Float(channelVariance)
                    inverses.value[channel] = Float(1 / (Float(channelVariance) + epsilon).squareRoot())
                }
            }
        }
    }
    return BatchNormStatistics(mean: mean, variance: variance, inverseDeviation: inverseDeviation)
}

/// y = (x − mean)·inverseDeviation·weight + bias per channel, as one multiply-add per element.
func batchNormApplyKernel(_ input: Tensor, mean: [Float], inverseDeviation: [Float], weight: Tensor?, bias: Tensor?) -> Tensor {
    let shape = BatchNormShape(input.shape)
    let x = UnsafePointer(input.storage.pointer + input.layout.offset)
    let result = Storage(uninitializedCount: input.count)
    let y = result.pointer
    let weights = weight.map { $0.contiguous().scalars }, biases = bias.map { $0.contiguous().scalars }
    shape.forEachChannel { channel in
        let scale = inverseDeviation[channel] * (weights?[channel] ?? 1), shift = biases?[channel] ?? 0
        shape.forEachPlane(of: channel) { start in
            centredAffine(x + start, y + start, count: shape.plane, centre: mean[channel], scale: scale, shift: shift)
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: input.shape))
}

/// The gradients of training-mode batch normalisation from ∂L/∂y, with x̂ = (x − mean)·inverseDeviation:
/// ∂L/∂bias = Σ dy, ∂L/∂weight = Σ dy·x̂, and
/// ∂L/∂x = weight·inverseDeviation·(dy − Σdy / M − x̂·Σ(dy·x̂) / M) over the M values of each channel,
/// written as a·dy + b·(x − mean) + c per channel. `input` and `outputGradient` are contiguous (N, C, S...).
func batchNormBackwardKernel(_ input: Tensor, _ outputGradient: Tensor, statistics: BatchNormStatistics, weight: Tensor?)
    -> (input: Tensor, weight: Tensor, bias: Tensor) {
    let shape = BatchNormShape(input.shape)
    let x = UnsafePointer(input.storage.pointer + input.layout.offset)
    let dy = UnsafePointer(outputGradient.storage.pointer + outputGradient.layout.offset)
    let inputGradient = Storage(uninitializedCount: input.count)
    let weightGradient = Storage(uninitializedCount: shape.channels), biasGradient = Storage(uninitializedCount: shape.channels)
    let dx = inputGradient.pointer, dw = weightGradient.pointer, db = biasGradient.pointer
    let weights = weight.map { $0.contiguous().scalars }
    let count = Double(shape.perChannel)
    shape.forEachChannel { channel in
        let centre = statistics.mean[channel]
        var sum = 0.0, centredProduct = 0.0   // Σ dy and Σ dy·(x − mean)
        shape.forEachPlane(of: channel) { start in
            let sums = centredProductAndSum(dy + start, x + start, count: shape.plane, centre: centre)
            sum += sums.sum
            centredProduct += sums.product
        }
        let inverse = Double(statistics.inverseDeviation[channel])
        db[channel] = Float(sum)
        dw[channel] = Float(centredProduct * inverse)
        let a = Double(weights?[channel] ?? 1) * inverse
        let b = -a * inverse * inverse * centredProduct / count
        let c = -a * sum / count
        let (scaleGradient, scaleInput, shift) = (SIMD8<Float>(repeating: Float(a)), SIMD8<Float>(repeating: Float(b)), SIMD8<Float>(repeating: Float(c)))
        let centres = SIMD8<Float>(repeating: centre)
        shape.forEachPlane(of: channel) { start in
            var index = 0
            while index + 8 <= shape.plane {
                let value = UnsafeRawPointer(dy + start + index).loadUnaligned(as: SIMD8<Float>.self) * scaleGradient
                    + (UnsafeRawPointer(x + start + index).loadUnaligned(as: SIMD8<Float>.self) - centres) * scaleInput + shift
                UnsafeMutableRawPointer(dx + start + index).storeBytes(of: value, as: SIMD8<Float>.self)
                index += 8
            }
            while index < shape.plane {
                dx[start + index] = Float(a) * dy[start + index] + Float(b) * (x[start + index] - centre) + Float(c)
                index += 1
            }
        }
    }
    return (Tensor(storage: inputGradient, layout: Layout(contiguous: input.shape)),
            Tensor(storage: weightGradient, layout: Layout(contiguous: [shape.channels])),
            Tensor(storage: biasGradient, layout: Layout(contiguous: [shape.channels])))
}
