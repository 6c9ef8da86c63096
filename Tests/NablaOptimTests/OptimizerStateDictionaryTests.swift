import Nabla
import NablaNN
import NablaOptim
import Testing

/// Saving an optimiser's state mid-training and loading it into a fresh optimiser must continue the
/// training exactly: the same parameters, bit for bit, as never stopping.
@Suite struct OptimizerStateDictionaryTests {
    /// Two parameters in two groups, and a loss whose gradient changes every step.
    final class Problem {
        let weight: Tensor
        let bias: Tensor

        init() {
            let generator = RandomGenerator(seed: 3)
            weight = generator.normal([3, 4])
            bias = generator.normal([4])
            weight.requiresGrad = true
            bias.requiresGrad = true
        }

        func step(_ optimizer: any Optimizer, _ index: Int) {
            optimizer.zeroGradients()
            let input = RandomGenerator(seed: UInt64(100 + index)).normal([5, 3])
            let output = (matmul(input, weight) + bias).tanh()
            (output * output).sum().backward()
            optimizer.step()
        }

        var bits: [UInt32] { (weight.scalars + bias.scalars).map(\.bitPattern) }
    }

    static let optimizers: [(String, ([Tensor], [Tensor]) -> any OptimizerStateSaving)] = [
        ("Adam", { Adam(groups: [.init($0, configuration: .init(learningRate: 0.01, amsgrad: true)), .init($1, configuration: .init(learningRate: 0.02, weightDecay: 0.1))]) }),
        ("AdamW", { AdamW(groups: [.init($0, configuration: .init(learningRate: 0.01)), .init($1)]) }),
        ("SGD", { SGD(groups: [.init($0, configuration: .init(learningRate: 0.05, momentum: 0.9, nesterov: true)), .init($1, configuration: .init(learningRate: 0.1))]) }),
        ("Adagrad", { Adagrad(groups: [.init($0, configuration: .init(learningRate: 0.1, learningRateDecay: 0.01, initialAccumulatorValue: 0.1)), .init($1)]) }),
        ("RMSProp", { RMSProp(groups: [.init($0, configuration: .init(learningRate: 0.01, momentum: 0.5, centered: true)), .init($1)]) }),
        ("RAdam", { RAdam(groups: [.init($0, configuration: .init(learningRate: 0.01, decoupledWeightDecay: true)), .init($1)]) }),
        ("SWATS", { SWATS(groups: [.init($0, configuration: .init(learningRate: 0.01, switchTolerance: 1, minimumAdamSteps: 2)), .init($1)]) }),
    ]

    @Test(arguments: 0..<7) func continuesExactlyAfterLoading(_ which: Int) throws {
        let (name, make) = Self.optimizers[which]
        let straight = Problem()
        let straightOptimizer = make([straight.weight], [straight.bias])
        for index in 0..<12 { straight.step(straightOptimizer, index) }

        let first = Problem()
        let firstOptimizer = make([first.weight], [first.bias])
        for index in 0..<5 { first.step(firstOptimizer, index) }
        let saved = firstOptimizer.stateDictionary()
        #expect(saved.optimizer == name)
        #expect(saved.parameterGroups.map(\.parameters) == [[0], [1]])
        #expect(saved.state.keys.sorted() == [0, 1])
        #expect(saved.state[0]?.scalars["step"] == 5)

        let resumed = Problem()
        resumed.weight.assign(first.weight)
        resumed.bias.assign(first.bias)
        let resumedOptimizer = make([resumed.weight], [resumed.bias])
        try resumedOptimizer.loadStateDictionary(saved)
        #expect(resumedOptimizer.stateDictionary().parameterGroups == saved.parameterGroups)
        for index in 5..<12 { resumed.step(resumedOptimizer, index) }
        #expect(resumed.bits == straight.bits, "\(name) drifted after loading its state")
    }

    @Test func namesStateAndHyperParametersAsPyTorch() {
        let problem = Problem()
        let optimizer = Adam([problem.weight, problem.bias], configuration: .init(learningRate: 0.01, amsgrad: true))
        problem.step(optimizer, 0)
        let saved = optimizer.stateDictionary()
        #expect(Set(saved.state[0]!.tensors.keys) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
        #expect(saved.parameterGroups[0].hyperParameters == ["lr": .number(0.01), "betas": .numbers([0.9, 0.999]), "eps": .number(1e-8),
                                                            "weight_decay": .number(0), "amsgrad": .flag(true)])
        #expect(saved.parameterGroups[0].parameters == [0, 1])
        let sgd = SGD([problem.weight], configuration: .init(learningRate: 0.1, momentum: 0.9))
        problem.step(sgd, 1)
        #expect(Set(sgd.stateDictionary().state[0]!.tensors.keys) == ["momentum_buffer"])
    }

    @Test func refusesStateThatDoesNotFit() {
        let problem = Problem()
        let adam = Adam(groups: [.init([problem.weight]), .init([problem.bias])])
        problem.step(adam, 0)
        let saved = adam.stateDictionary()
        func expectRefusal(_ optimizer: any OptimizerStateSaving, _ state: OptimizerStateDictionary, _ fragment: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                try optimizer.loadStateDictionary(state)
                Issue.record("loading succeeded; expected an error about \(fragment)", sourceLocation: sourceLocation)
            } catch let error as OptimizerStateError {
                #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            }
        }
        expectRefusal(SGD(groups: [.init([problem.weight]), .init([problem.bias])]), saved, "Adam's")
        expectRefusal(Adam([problem.weight, problem.bias]), saved, "2 parameter groups")
        expectRefusal(Adam(groups: [.init([problem.weight, problem.bias]), .init([])]), saved, "has 1 parameters")
        expectRefusal(Adam(groups: [.init([problem.bias]), .init([problem.weight])]), saved, "but its parameter has shape")
        var badRate = saved
        badRate.parameterGroups[0].hyperParameters["lr"] = .number(-1)
        expectRefusal(Adam(groups: [.init([problem.weight]), .init([problem.bias])]), badRate, "'lr' is -1.0")
        var badBetas = saved
        badBetas.parameterGroups[1].hyperParameters["betas"] = .numbers([0.9, 1.5])
        expectRefusal(Adam(groups: [.init([problem.weight]), .init([problem.bias])]), badBetas, "'betas'")
        var unknown = saved
        unknown.parameterGroups[0].hyperParameters["momentum"] = .number(0.9)
        expectRefusal(Adam(groups: [.init([problem.weight]), .init([problem.bias])]), unknown, "unknown hyper-parameters [\"momentum\"]")
        var missingBuffer = saved
        missingBuffer.state[1]!.tensors["exp_avg"] = nil
        expectRefusal(Adam(groups: [.init([problem.weight]), .init([problem.bias])]), missingBuffer, "no 'exp_avg'")
        var badStep = saved
        badStep.state[0]!.scalars["step"] = 2.5
        expectRefusal(Adam(groups: [.init([problem.weight]), .init([problem.bias])]), badStep, "not a count")
        var stray = saved
        stray.state[7] = saved.state[0]
        expectRefusal(Adam(groups: [.init([problem.weight]), .init([problem.bias])]), stray, "parameter index 7")
        // A refused load changes nothing.
        let untouched = Adam(groups: [.init([problem.weight]), .init([problem.bias])])
        try? untouched.loadStateDictionary(missingBuffer)
        #expect(untouched.stateDictionary().state.isEmpty)
    }

    @Test func restoresSchedulePositions() throws {
        let problem = Problem()
        let optimizer = SGD([problem.weight], configuration: .init(learningRate: 0.1, momentum: 0.9))
        let scheduler = LearningRateScheduler(optimizer, schedule: OneCycleSchedule(totalSteps: 20))
        for _ in 0..<7 { scheduler.step() }
        let saved = scheduler.stateDictionary()
        #expect(saved.stepCount == 7)

        let freshOptimizer = SGD([problem.weight], configuration: .init(learningRate: 0.1, momentum: 0.9))
        let fresh = LearningRateScheduler(freshOptimizer, schedule: OneCycleSchedule(totalSteps: 20))
        try fresh.loadStateDictionary(saved)
        #expect(freshOptimizer.learningRates == optimizer.learningRates)
        #expect(freshOptimizer.scheduledMomenta == optimizer.scheduledMomenta)
        scheduler.step(); fresh.step()
        #expect(freshOptimizer.learningRates == optimizer.learningRates)
        #expect(throws: OptimizerStateError.self) { try fresh.loadStateDictionary(.init(stepCount: -1, initialLearningRates: [0.1])) }
        #expect(throws: OptimizerStateError.self) { try fresh.loadStateDictionary(.init(stepCount: 1, initialLearningRates: [0.1, 0.2])) }

        let plateau = ReduceLearningRateOnPlateau(optimizer, patience: 1)
        for loss in [1.0, 0.9, 0.95, 0.97] { plateau.step(loss) }
        let other = ReduceLearningRateOnPlateau(freshOptimizer, patience: 1)
        try other.loadStateDictionary(plateau.stateDictionary())
        #expect(other.stateDictionary() == plateau.stateDictionary())
    }
}
