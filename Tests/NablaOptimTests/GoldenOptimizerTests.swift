import Nabla
import NablaOptim
import NablaTestSupport
import Testing

/// Every optimiser and schedule in optim.json, reproduced step by step.
@Suite struct GoldenOptimizerTests {
    @Test func goldenFileIsPresentAndEveryCaseIsCovered() throws {
        let optimizers = try GoldenOptimizerCase.all(), schedules = try GoldenScheduleCase.all()
        #expect(!optimizers.isEmpty && !schedules.isEmpty)
        for entry in optimizers { #expect(Self.makeOptimizer(entry.name, [Tensor([0])]) != nil, "no optimiser for golden case \(entry.name) (\(entry.torch))") }
        for entry in schedules { #expect(Self.schedule(entry.name) != nil, "no schedule for golden case \(entry.name) (\(entry.torch))") }
    }

    /// The optimiser the golden case's `torch` expression describes.
    static func makeOptimizer(_ name: String, _ parameters: [Tensor]) -> (any Optimizer)? {
        switch name {
        case "sgd": return SGD(parameters, configuration: .init(learningRate: 0.1))
        case "sgd_momentum": return SGD(parameters, configuration: .init(learningRate: 0.1, momentum: 0.9))
        case "sgd_nesterov_wd":
            return SGD(parameters, configuration: .init(learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true))
        case "adagrad": return Adagrad(parameters, configuration: .init(learningRate: 0.1))
        case "rmsprop": return RMSProp(parameters, configuration: .init(learningRate: 0.01, alpha: 0.99, epsilon: 1e-8))
        case "rmsprop_momentum": return RMSProp(parameters, configuration: .init(learningRate: 0.01, momentum: 0.9))
        case "adam": return Adam(parameters, configuration: .init(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8))
        case "adam_l2": return Adam(parameters, configuration: .init(learningRate: 0.01, weightDecay: 0.1))
        case "adam_amsgrad": return Adam(parameters, configuration: .init(learningRate: 0.01, amsgrad: true))
        case "adamw": return AdamW(parameters, configuration: .init(learningRate: 0.01, weightDecay: 0.1))
        case "radam": return RAdam(parameters, configuration: .init(learningRate: 0.01))
        case "adam_amsgrad_shrinking": return Adam(parameters, configuration: .init(learningRate: 0.01, amsgrad: true))
        case "adam_beta2_0_99_shrinking": return Adam(parameters, configuration: .init(learningRate: 0.01, beta1: 0.9, beta2: 0.99))
        case "rmsprop_centered": return RMSProp(parameters, configuration: .init(learningRate: 0.01, centered: true))
        default: return nil
        }
    }

    static func schedule(_ name: String) -> (any LearningRateSchedule)? {
        switch name {
        case "step": return StepSchedule(stepSize: 5, gamma: 0.5)
        case "exponential": return ExponentialSchedule(gamma: 0.9)
        case "cosine": return CosineAnnealingSchedule(period: 10, minimumLearningRate: 0.001)
        case "linear_warmup": return LinearSchedule(startFactor: 0.1, totalSteps: 5)
        case "noam": return NoamSchedule(modelDimension: 64, warmupSteps: 4)
        case "onecycle": return OneCycleSchedule(totalSteps: 20, maximumLearningRate: 0.1)
        default: return nil
        }
    }

    /// Each step's displacement p_t − p_{t−1} must match PyTorch's within a relative 1e-4. Comparing the
    /// parameters themselves (rtol 1e-3 of a value near 1) let Adam with β₂ = 0.99 pass the β₂ = 0.999 case.
    @Test(arguments: GoldenOptimizerCase.names)
    func optimizerMatchesPyTorch(_ name: String) throws {
        let entry = try GoldenOptimizerCase.named(name)
        let parameter = entry.initialParameter
        parameter.requiresGrad = true
        let optimizer = try #require(Self.makeOptimizer(name, [parameter]))
        #expect(entry.gradients.count == entry.parametersAfterEachStep.count && !entry.gradients.isEmpty)
        var expectedBefore = entry.initialParameter.scalars
        for (step, (gradient, expected)) in zip(entry.gradients, entry.parametersAfterEachStep).enumerated() {
            let before = parameter.scalars
            parameter.grad = gradient
            optimizer.step()
            let after = parameter.scalars, expectedAfter = expected.scalars
            expectDisplacementsClose(before: before, after: after, expectedBefore: expectedBefore, expectedAfter: expectedAfter,
                                     "\(entry.torch) step \(step + 1)")
            expectClose(parameter, expected, "\(entry.torch) after step \(step + 1)", tolerance: .optimizer)
            expectedBefore = expectedAfter
        }
    }

    /// The same optimisers with one rule changed must fail the displacement check on the cases built to
    /// catch that change: the check is strict enough to see a wrong rule.
    @Test(arguments: [("adam", "adam_beta2_0_99_shrinking"), ("adam_beta2_0_99_shrinking", "adam"),
                      ("adam_amsgrad_shrinking_without_maximum", "adam_amsgrad_shrinking"),
                      ("rmsprop_uncentered", "rmsprop_centered")])
    func wrongRuleFailsTheDisplacementCheck(_ mutated: String, _ golden: String) throws {
        let entry = try GoldenOptimizerCase.named(golden)
        let parameter = entry.initialParameter
        parameter.requiresGrad = true
        let optimizer: any Optimizer
        switch mutated {
        case "adam_amsgrad_shrinking_without_maximum": optimizer = Adam([parameter], configuration: .init(learningRate: 0.01))
        case "rmsprop_uncentered": optimizer = RMSProp([parameter], configuration: .init(learningRate: 0.01))
        default: optimizer = try #require(Self.makeOptimizer(mutated, [parameter]))
        }
        var expectedBefore = entry.initialParameter.scalars, worstExcess = 0.0
        for (gradient, expected) in zip(entry.gradients, entry.parametersAfterEachStep) {
            let before = parameter.scalars
            parameter.grad = gradient
            optimizer.step()
            worstExcess = max(worstExcess, displacementExcess(before: before, after: parameter.scalars,
                                                              expectedBefore: expectedBefore, expectedAfter: expected.scalars))
            expectedBefore = expected.scalars
        }
        #expect(worstExcess > 1, "\(mutated) passed the displacement check of \(golden) (worst excess \(worstExcess))")
    }

    /// Read before each step through a scheduler driving an optimiser, as the golden values were taken.
    @Test(arguments: GoldenScheduleCase.names)
    func scheduleMatchesPyTorch(_ name: String) throws {
        let entry = try GoldenScheduleCase.named(name)
        let optimizer = SGD([Tensor([1], requiresGrad: true)], configuration: .init(learningRate: 0.1))
        let scheduler = LearningRateScheduler(optimizer, schedule: try #require(Self.schedule(name)))
        var read: [Double] = []
        for _ in entry.learningRates {
            read.append(optimizer.learningRates[0])
            optimizer.step()
            scheduler.step()
        }
        expectClose(read, entry.learningRates, entry.torch, tolerance: .optimizer)
        // The closed form gives the same values without stepping.
        expectClose(scheduler.schedule.learningRates(steps: entry.learningRates.count, initial: 0.1), entry.learningRates,
                    "\(name) read directly", tolerance: .optimizer)
    }
}

/// How far the worst displacement lies outside its allowance (≤ 1 passes): a relative 1e-4 of PyTorch's
/// displacement, plus what float32 storage of the two parameters can represent (one unit in the last
/// place of each) and the golden file's 8 printed decimals.
func displacementExcess(before: [Float], after: [Float], expectedBefore: [Float], expectedAfter: [Float]) -> Double {
    var worst = 0.0
    for index in before.indices {
        let actual = Double(after[index]) - Double(before[index])
        let expected = Double(expectedAfter[index]) - Double(expectedBefore[index])
        let allowance = 1e-4 * abs(expected) + Double(after[index].ulp) + Double(before[index].ulp) + 2e-8
        worst = max(worst, abs(actual - expected) / allowance)
    }
    return worst
}

func expectDisplacementsClose(before: [Float], after: [Float], expectedBefore: [Float], expectedAfter: [Float],
                              _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let excess = displacementExcess(before: before, after: after, expectedBefore: expectedBefore, expectedAfter: expectedAfter)
    #expect(excess <= 1, "\(label): displacement p_t − p_{t−1} off by \(excess)× its allowance (rtol 1e-4)",
            sourceLocation: sourceLocation)
}
