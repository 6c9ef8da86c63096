import Foundation
import Nabla
import NablaOptim
import NablaTestSupport
import Testing

/// Groups, in-place updates, per-parameter state and the chunked (multi-core) path.
@Suite struct OptimizerBehaviourTests {
    static let families = ["SGD", "Adagrad", "RMSProp", "Adam", "AdamW", "RAdam", "SWATS"]

    /// An optimiser of the named family over `parameters`, with settings that use every state buffer.
    static func make(_ family: String, _ parameters: [Tensor]) -> any Optimizer {
        switch family {
        case "SGD": return SGD(parameters, configuration: .init(learningRate: 0.1, momentum: 0.9, nesterov: true))
        case "Adagrad": return Adagrad(parameters, configuration: .init(learningRate: 0.1))
        case "RMSProp": return RMSProp(parameters, configuration: .init(learningRate: 0.01, momentum: 0.9, centered: true))
        case "Adam": return Adam(parameters, configuration: .init(learningRate: 0.01, amsgrad: true))
        case "AdamW": return AdamW(parameters, configuration: .init(learningRate: 0.01))
        case "RAdam": return RAdam(parameters, configuration: .init(learningRate: 0.01))
        default: return SWATS(parameters, configuration: .init(learningRate: 0.01))
        }
    }

    @Test func groupsUseTheirOwnLearningRates() {
        let first = Tensor([1, 1], requiresGrad: true), second = Tensor([1, 1], requiresGrad: true)
        let optimizer = SGD(groups: [ParameterGroup([first], configuration: .init(learningRate: 0.1)),
                                     ParameterGroup([second], configuration: .init(learningRate: 0.01))])
        first.grad = Tensor([1, 2])
        second.grad = Tensor([1, 2])
        optimizer.step()
        expectClose(first, [0.9, 0.8], "group 0 at rate 0.1")
        expectClose(second, [0.99, 0.98], "group 1 at rate 0.01")
        #expect(optimizer.learningRates == [0.1, 0.01])

        optimizer.parameterGroups[1].configuration.learningRate = 0.5
        optimizer.learningRates[0] = 0
        #expect(optimizer.learningRates == [0, 0.5])
        optimizer.step()
        expectClose(first, [0.9, 0.8], "group 0 at rate 0")
        expectClose(second, [0.49, -0.02], "group 1 at rate 0.5")
    }

    @Test(arguments: families)
    func stepUpdatesTheSameTensorAndStorageInPlace(_ family: String) {
        let parameter = Tensor([1, 2, 3, 4], shape: [2, 2], requiresGrad: true)
        let storage = parameter.storage, view = parameter.reshaped([4])
        let optimizer = Self.make(family, [parameter])
        parameter.grad = Tensor([0.5, -0.5, 1, -1], shape: [2, 2])
        optimizer.step()
        #expect(optimizer.parameters[0] === parameter, "keeps the parameter object")
        #expect(parameter.storage === storage, "writes into the parameter's storage")
        #expect(parameter.scalars != [1, 2, 3, 4], "changed the values")
        #expect(view.scalars == parameter.scalars, "a view of the parameter sees the update")
    }

    @Test(arguments: families)
    func parametersWithoutGradientAreSkipped(_ family: String) {
        let trained = Tensor([1, 2], requiresGrad: true), untouched = Tensor([3, 4], requiresGrad: true)
        let optimizer = Self.make(family, [trained, untouched])
        trained.grad = Tensor([1, 1])
        optimizer.step()
        #expect(untouched.scalars == [3, 4], "left the parameter without gradient alone")
        #expect(trained.scalars != [1, 2], "updated the parameter with a gradient")
    }

    @Test func parameterWithoutGradientGetsNoState() {
        let adam = Adam([Tensor([1], requiresGrad: true), Tensor([2], requiresGrad: true)])
        adam.parameters[0].grad = Tensor([1])
        adam.step()
        #expect(adam.state(for: adam.parameters[0])?.step == 1)
        #expect(adam.state(for: adam.parameters[1]) == nil)
    }

    @Test func stateIsKeptPerParameter() {
        let a = Tensor([1, 2, 3], requiresGrad: true), b = Tensor([4, 5], requiresGrad: true)
        let optimizer = Adam([a, b], configuration: .init(learningRate: 0.1))
        a.grad = Tensor([1, 1, 1])
        b.grad = Tensor([2, 2])
        optimizer.step()
        b.grad = nil
        optimizer.step()
        optimizer.step()
        let stateA = optimizer.state(for: a)!, stateB = optimizer.state(for: b)!
        #expect(stateA.step == 3 && stateB.step == 1)
        #expect(stateA.firstMoment.shape == [3] && stateB.firstMoment.shape == [2])
        // m after three steps of g = 1: 1 − 0.9³; after one step of g = 2: 0.1·2.
        expectClose(stateA.firstMoment, [0.271, 0.271, 0.271], "m of a")
        expectClose(stateB.firstMoment, [0.2, 0.2], "m of b")
        // Adam's first step moves every coordinate by the learning rate, whatever the gradient's size.
        expectClose(b, [3.9, 4.9], "b after its single step")

        optimizer.resetState()
        #expect(optimizer.state(for: a) == nil)
    }

    @Test func zeroGradientsClearsEveryGradient() {
        let a = Tensor([1], requiresGrad: true), b = Tensor([2], requiresGrad: true)
        let optimizer = SGD(groups: [ParameterGroup([a]), ParameterGroup([b])])
        a.grad = Tensor([1])
        b.grad = Tensor([1])
        optimizer.zeroGradients()
        #expect(a.grad == nil && b.grad == nil)
    }

    @Test func addedGroupIsTrainedWithItsConfiguration() {
        let a = Tensor([1], requiresGrad: true), b = Tensor([1], requiresGrad: true)
        let optimizer = SGD([a], configuration: .init(learningRate: 0.1))
        optimizer.addParameterGroup(ParameterGroup([b], configuration: .init(learningRate: 1)))
        a.grad = Tensor([1])
        b.grad = Tensor([1])
        optimizer.step()
        expectClose(a, [0.9], "first group")
        expectClose(b, [0], "added group")
        #expect(optimizer.parameters.count == 2)
    }

    /// The gradient of a sum is a broadcast view (stride 0); the optimiser reads it like a contiguous one.
    @Test func broadcastGradientGivesTheSameStepAsAContiguousOne() {
        let viaSum = Tensor([1, 2, 3], requiresGrad: true), direct = Tensor([1, 2, 3], requiresGrad: true)
        let first = Adam([viaSum], configuration: .init(learningRate: 0.1))
        let second = Adam([direct], configuration: .init(learningRate: 0.1))
        viaSum.sum().backward()
        direct.grad = Tensor([1, 1, 1])
        first.step()
        second.step()
        #expect(viaSum.scalars == direct.scalars)
    }

    @Test func momentumSwitchedOnLaterStartsItsBufferAtTheGradient() {
        let parameter = Tensor([0], requiresGrad: true)
        let optimizer = SGD([parameter], configuration: .init(learningRate: 1))
        parameter.grad = Tensor([1])
        optimizer.step()                                   // plain SGD: 0 − 1
        optimizer.scheduledMomenta = [0.5]
        optimizer.step()                                   // buffer = g = 1: −1 − 1
        optimizer.step()                                   // buffer = 0.5 + 1: −2 − 1.5
        expectClose(parameter, [-3.5], "after switching momentum on")
        #expect(optimizer.state(for: parameter)?.momentumBuffer?.scalars == [1.5])
    }

    /// Rules run four elements at a time; the last one to three go through a zero-padded vector. Their
    /// bits must not depend on where they fall: 7 elements must end exactly as the first 7 of 8.
    @Test(arguments: families)
    func trailingElementsGetTheSameBitsAsFullVectors(_ family: String) {
        let generator = RandomGenerator(seed: 5)
        let start = generator.normal([8]).scalars
        let short = Tensor(Array(start[..<7]), requiresGrad: true), long = Tensor(start, requiresGrad: true)
        let first = Self.make(family, [short]), second = Self.make(family, [long])
        for _ in 0..<4 {
            let gradient = generator.normal([8]).scalars
            short.grad = Tensor(Array(gradient[..<7]))
            long.grad = Tensor(gradient)
            first.step()
            second.step()
        }
        #expect(short.scalars == Array(long.scalars[..<7]))
    }

    /// Parameters above the chunk threshold are split across cores; every element must still get exactly
    /// the serial update, here checked against the rule written out in double precision.
    @Test func largeParametersSplitAcrossCoresMatchTheSerialRule() {
        let count = 300_001
        let generator = RandomGenerator(seed: 7)
        let start = generator.normal([count]), gradients = [generator.normal([count]), generator.normal([count])]
        let parameter = Tensor(start.scalars, requiresGrad: true)
        let optimizer = Adam([parameter], configuration: .init(learningRate: 0.01, weightDecay: 0.1))
        var theta = start.scalars.map(Double.init), m = [Double](repeating: 0, count: count), v = m
        for (index, gradient) in gradients.enumerated() {
            parameter.grad = gradient
            optimizer.step()
            let t = Double(index + 1), g = gradient.scalars
            let stepSize = 0.01 / (1 - pow(0.9, t)), correction2 = 1 - pow(0.999, t)
            for i in 0..<count {
                let decayed = Double(g[i]) + 0.1 * theta[i]
                m[i] = 0.9 * m[i] + 0.1 * decayed
                v[i] = 0.999 * v[i] + 0.001 * decayed * decayed
                theta[i] -= stepSize * m[i] / ((v[i] / correction2).squareRoot() + 1e-8)
            }
        }
        expectClose(parameter, theta, "Adam over \(count) elements")

        let sgdParameter = Tensor(start.scalars, requiresGrad: true)
        let sgd = SGD([sgdParameter], configuration: .init(learningRate: 0.1, momentum: 0.9, dampening: 0.1))
        var sgdTheta = start.scalars.map(Double.init), buffer = [Double](repeating: 0, count: count)
        for (index, gradient) in gradients.enumerated() {
            sgdParameter.grad = gradient
            sgd.step()
            let g = gradient.scalars
            for i in 0..<count {
                buffer[i] = index == 0 ? Double(g[i]) : 0.9 * buffer[i] + 0.9 * Double(g[i])
                sgdTheta[i] -= 0.1 * buffer[i]
            }
        }
        expectClose(sgdParameter, sgdTheta, "SGD with momentum over \(count) elements")
    }

    /// End to end through autodiff: least squares y = 2x − 1 from 32 points.
    @Test(arguments: ["SGD", "Adam", "AdamW", "RMSProp", "RAdam", "Adagrad"])
    func optimizerFitsALine(_ name: String) {
        let x = Tensor((0..<32).map { Float($0) / 16 - 1 }, shape: [32, 1])
        let y = 2 * x - 1
        let weight = Tensor([0], shape: [1, 1], requiresGrad: true), bias = Tensor([0], requiresGrad: true)
        let optimizer: any Optimizer = switch name {
        case "SGD": SGD([weight, bias], configuration: .init(learningRate: 0.1, momentum: 0.9))
        case "Adam": Adam([weight, bias], configuration: .init(learningRate: 0.05))
        case "AdamW": AdamW([weight, bias], configuration: .init(learningRate: 0.05, weightDecay: 0))
        case "RMSProp": RMSProp([weight, bias], configuration: .init(learningRate: 0.01))
        case "RAdam": RAdam([weight, bias], configuration: .init(learningRate: 0.05))
        default: Adagrad([weight, bias], configuration: .init(learningRate: 0.5))
        }
        var loss: Float = .infinity
        for _ in 0..<300 {
            optimizer.zeroGradients()
            let error = matmul(x, weight) + bias - y
            let value = (error * error).mean()
            value.backward()
            loss = value.item
            optimizer.step()
        }
        #expect(loss < 1e-3, "\(name): mean squared error \(loss) after 300 steps")
    }
}
