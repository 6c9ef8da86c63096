import ArgumentParser
import Nabla
import NablaOptim
#if canImport(Glibc)
import Glibc
#endif

/// `nabla bench optim`: one optimiser step on a single parameter tensor whose gradient is already
/// there, the setting of ../shared/reference/torch_optim_step.py (scripts/bench-peers.sh runs the two
/// side by side). With --quick the sizes are 10,000 and 100,000 and the lines say "quick": true.
struct OptimizerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optim",
        abstract: "One Adam step and one SGD-momentum step on 1M and 10M parameters.",
        discussion: """
            Prints one JSON object per line. Every figure is the median over the repetitions. `gb_per_s` counts \
            each buffer the step reads or writes once (Adam: parameter, gradient and two moments read, three \
            written; SGD with momentum: parameter, gradient and buffer read, two written).
            """
    )

    @OptionGroup var options: TimingOptions
    private var quick: Bool { options.quick }

    func run() {
        let timing = options.timing(defaultRepetitions: 9)
        let generator = RandomGenerator(seed: 0)
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        printJSONLine(["benchmark": "machine", "build": build, "cores": Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))])
        for count in quick ? [10_000, 100_000] : [1_000_000, 10_000_000] {
            let adamParameter = generator.normal([count], standardDeviation: 0.1)
            let sgdParameter = Tensor(adamParameter.scalars, shape: [count])
            let gradient = generator.normal([count], standardDeviation: 0.01)
            adamParameter.requiresGrad = true
            sgdParameter.requiresGrad = true
            adamParameter.grad = gradient
            sgdParameter.grad = gradient
            let adam = Adam([adamParameter], configuration: .init(learningRate: 1e-3))
            let sgd = SGD([sgdParameter], configuration: .init(learningRate: 0.1, momentum: 0.9))
            let seconds = timing.measure([
                { adam.step(); return adamParameter[0] },
                { sgd.step(); return sgdParameter[0] },
            ])
            for (index, (name, bytesPerElement)) in [("adam", 28), ("sgd_momentum", 20)].enumerated() {
                let perStep = median(seconds[index])
                printJSONLine(["benchmark": "optim", "workload": "\(name)_\(count)" + (quick ? "-quick" : ""), "quick": quick,
                               "optimizer": name, "parameters": count, "ms_per_step": perStep * 1e3,
                               "gb_per_s": Double(bytesPerElement * count) / perStep * 1e-9])
            }
        }
    }
}
