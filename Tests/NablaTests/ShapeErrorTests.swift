import Foundation
import Nabla
import NablaTestSupport
import Testing

// Programmer errors stop the program; these exit tests run each mistake in a child process and read
// what it printed, so the message itself is checked: it must name the operation and both shapes.

@Suite struct ShapeErrorTests {
    @Test func broadcastMismatchNamesOperationAndShapes() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([2, 3]) + Tensor.ones([4])
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("add"), "\(message)")
        #expect(message.contains("[2, 3]") && message.contains("[4]"), "\(message)")
    }

    @Test func matmulMismatchNamesOperationAndShapes() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor.ones([2, 3]), Tensor.ones([4, 5]))
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("matmul") && message.contains("[2, 3]") && message.contains("[4, 5]"), "\(message)")
    }

    @Test func impossibleReshapeNamesBothShapes() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([2, 3]).reshaped([4, 2])
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("reshaped") && message.contains("[2, 3]") && message.contains("[4, 2]"), "\(message)")
    }

    @Test func convolutionWeightMismatchNamesBothShapes() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.ones([1, 3, 5, 5]), weight: Tensor.ones([4, 2, 3, 3]))
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("conv2d") && message.contains("[1, 3, 5, 5]") && message.contains("[4, 2, 3, 3]"), "\(message)")
    }
}

extension ShapeErrorTests {
    @Test func gradientsSeedOfTheWrongShapeNamesBothShapes() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2, 3], requiresGrad: true)
            _ = gradients(of: x * 2, withRespectTo: [x], gradient: Tensor.ones([2]))
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("gradients(of:)") && message.contains("[2]") && message.contains("[3]"), "\(message)")
    }
}
