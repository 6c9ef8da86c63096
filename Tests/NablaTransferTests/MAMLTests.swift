import Foundation
import Nabla
import NablaNN
import NablaTransfer
import Testing

// MAML's meta-gradient against finite differences of the meta-loss, computed independently in double
// precision (the inner gradient by finite differences too), on a one-hidden-layer ReLU network.
@Suite struct MAMLTests {
    /// The tiny network in double precision: sizes [1, hidden, 1], weights in `parameters()` order.
    struct DoubleNetwork {
        let hidden: Int
        func predict(_ w: [Double], _ x: Double) -> Double {
            var y = w[3 * hidden]
            for unit in 0..<hidden { y += w[2 * hidden + unit] * max(0, w[unit] * x + w[hidden + unit]) }
            return y
        }
        func loss(_ w: [Double], _ xs: [Double], _ ys: [Double]) -> Double {
            zip(xs, ys).reduce(0) { $0 + pow(predict(w, $1.0) - $1.1, 2) } / Double(xs.count)
        }
        func gradient(_ f: ([Double]) -> Double, at w: [Double], step: Double) -> [Double] {
            w.indices.map { index in
                var plus = w, minus = w
                plus[index] += step
                minus[index] -= step
                return (f(plus) - f(minus)) / (2 * step)
            }
        }
        /// Σ over tasks of the query loss after one inner step, over the number of tasks.
        func metaLoss(_ w: [Double], support: [([Double], [Double])], query: [([Double], [Double])], alpha: Double) -> Double {
            zip(support, query).reduce(0) { total, task in
                let inner = gradient({ loss($0, task.0.0, task.0.1) }, at: w, step: 1e-6)
                let adapted = zip(w, inner).map { $0 - alpha * $1 }
                return total + loss(adapted, task.1.0, task.1.1)
            } / Double(support.count)
        }
    }

    func rows(_ tensor: Tensor) -> [[Double]] {
        let (tasks, points) = (tensor.shape[0], tensor.shape[1]), values = tensor.scalars
        return (0..<tasks).map { task in (0..<points).map { Double(values[task * points + $0]) } }
    }

    @Test func secondOrderMetaGradientEqualsFiniteDifferences() {
        let hidden = 4, alpha: Float = 0.3
        let network = FastWeightMLP(sizes: [1, hidden, 1], generator: RandomGenerator(seed: 3))
        let tasks = SinusoidTasks().sample(tasks: 2, points: 7, generator: RandomGenerator(seed: 4))
        let (support, query) = tasks.split(at: 3)
        func metaGradient(_ order: MAML.Order) -> [Double] {
            network.zeroGradients()
            let maml = MAML(innerLearningRate: alpha, innerSteps: 1, order: order)
            maml.metaLoss(weights: network.perTask(tasks: 2), support: (support.x, support.y), query: (query.x, query.y),
                          forward: network.forward, loss: MAML.meanSquaredErrorPerTask).backward()
            return network.parameters().flatMap { $0.grad!.scalars.map(Double.init) }
        }
        let weights = network.parameters().flatMap { $0.scalars.map(Double.init) }
        let model = DoubleNetwork(hidden: hidden)
        let supportSets = Array(zip(rows(support.x), rows(support.y))), querySets = Array(zip(rows(query.x), rows(query.y)))
        let expected = model.gradient({ model.metaLoss($0, support: supportSets, query: querySets, alpha: Double(alpha)) }, at: weights, step: 1e-4)
        let second = metaGradient(.second), first = metaGradient(.first)
        for (index, (actual, wanted)) in zip(second, expected).enumerated() {
            #expect(abs(actual - wanted) <= 1e-3 + 1e-3 * abs(wanted), "parameter \(index): MAML \(actual), finite differences \(wanted)")
        }
        // The check has teeth: dropping the second-order term (first-order MAML) misses somewhere.
        let worst = zip(first, expected).map { abs($0 - $1) / (1e-3 + 1e-3 * abs($1)) }.max() ?? 0
        #expect(worst > 10, "first-order MAML should differ from the exact meta-gradient at this step size")
    }

    @Test func perTaskForwardMatchesTheModuleAndAdaptsEachTaskOnItsOwn() {
        let network = FastWeightMLP(sizes: [1, 5, 5, 1], generator: RandomGenerator(seed: 1))
        let tasks = SinusoidTasks().sample(tasks: 3, points: 6, generator: RandomGenerator(seed: 2))
        let batched = network.forward(tasks.x, weights: network.perTask(tasks: 3)).scalars
        let single = network(tasks.x.reshaped([18, 1])).scalars
        for (a, b) in zip(batched, single) { #expect(abs(a - b) <= 1e-5) }
        // Task 0's adapted weights do not depend on task 1's points.
        let adapted = MAML.adapt(weights: network.perTask(tasks: 3), support: (tasks.x, tasks.y), steps: 1, learningRate: 0.1, createGraph: false,
                                 forward: network.forward, loss: MAML.meanSquaredErrorPerTask)
        let alone = MAML.adapt(weights: network.perTask(tasks: 1), support: (tasks.x.sliced(axis: 0, start: 0, end: 1).contiguous(),
                                                                            tasks.y.sliced(axis: 0, start: 0, end: 1).contiguous()),
                               steps: 1, learningRate: 0.1, createGraph: false, forward: network.forward, loss: MAML.meanSquaredErrorPerTask)
        for (both, one) in zip(adapted, alone) {
            let first = both.sliced(axis: 0, start: 0, end: 1).contiguous().scalars
            for (a, b) in zip(first, one.scalars) { #expect(abs(a - b) <= 1e-5) }
        }
    }

    @Test func sinusoidTasksFollowThePaper() {
        let tasks = SinusoidTasks().sample(tasks: 50, points: 10, generator: RandomGenerator(seed: 9))
        #expect(tasks.amplitudes.allSatisfy { (0.1...5).contains($0) } && tasks.phases.allSatisfy { (0...Float.pi).contains($0) })
        #expect(tasks.x.scalars.allSatisfy { (-5...5).contains($0) })
        let (x, y) = (tasks.x.scalars, tasks.y.scalars)
        for index in [0, 77, 499] {
            let expected = Double(tasks.amplitudes[index / 10]) * Foundation.sin(Double(x[index]) - Double(tasks.phases[index / 10]))
            #expect(abs(Double(y[index]) - expected) <= 1e-5)
        }
    }
}
