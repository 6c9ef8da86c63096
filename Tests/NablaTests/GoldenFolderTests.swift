import Foundation
import Nabla
import NablaTestSupport
import Testing

/// Fails with a clear message (path and environment variable) when the reference values are missing,
/// rather than leaving every golden test to fail on its own.
@Suite struct GoldenFolderTests {
    @Test func goldenFilesArePresentAndDecode() throws {
        for name in ["ops.json", "second_order.json"] {
            let cases = try Golden.cases(in: name)
            #expect(!cases.isEmpty, "\(name) holds no cases")
        }
    }

    /// The same loader reads the module and optimiser files, whose entries have other fields.
    @Test func loaderIsGeneralEnoughForModulesAndOptimisers() throws {
        let batchNorm = try Golden.case("batchnorm2d_train", "modules", in: "modules.json")
        let state = try batchNorm.tensors("state_dict")
        #expect(state["num_batches_tracked"]?.shape == [])
        #expect(state["running_mean"]?.shape == [3])
        #expect(try batchNorm.tensors("buffers_after").keys.sorted() == ["num_batches_tracked", "running_mean", "running_var"])
        #expect(try batchNorm.field("train") == .bool(true))
        let sgd = try Golden.case("sgd", "optimizers", in: "optim.json")
        let steps = try #require(try sgd.field("grads").array)
        #expect(!steps.isEmpty)
        #expect(try steps.allSatisfy { try $0.tensor("sgd.grads").shape == sgd.tensor("param0").shape })
        let cosine = try Golden.case("cosine", "schedules", in: "optim.json")
        #expect(try cosine.field("lrs").array?.first?.number == 0.1)
    }

    @Test func integerInputsDecodeAsIntegerTensors() throws {
        let gather = try Golden.case("gather", in: "ops.json")
        let inputs = try gather.inputs(requiringGradients: true)
        #expect(inputs.integers["idx"]?.shape == [3, 2])
        #expect(inputs.floats["idx"] == nil)
        #expect(inputs["x"].requiresGrad)
    }
}
