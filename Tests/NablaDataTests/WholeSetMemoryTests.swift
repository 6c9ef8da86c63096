import Foundation
import Nabla
@testable import NablaData
import Testing

/// A data set that claims more examples than any memory holds; taking a batch of it would be a bug.
private struct ClaimedDataset: Dataset {
    let count: Int
    var exampleShape: [Int] { [1, 28, 28] }
    var labels: IntTensor { IntTensor([]) }
    func batch(at indices: [Int]) -> Batch {
        Issue.record("batch(at:) was called for \(indices.count) examples")
        return (Tensor.zeros([0, 1, 28, 28]), IntTensor([]))
    }
}

/// Whole-set allocations checked against the memory budget before they are made (issue 12).
@Suite struct WholeSetMemoryTests {
    @Test func allExamplesAsOneBatchAreCheckedFirst() throws {
        // 10⁹ images of 28×28 floats: about 2.9 TiB, refused with the estimate before any gathering.
        do {
            _ = try ClaimedDataset(count: 1_000_000_000).all()
            Issue.record("a 2.9 TiB batch was accepted")
        } catch let error as MemoryLimitError {
            #expect(error.estimate >= 1_000_000_000 * 784 * 4)
            for fragment in ["1000000000 examples", "[1, 28, 28]", "needs about", "in batches", "--memory-limit"] {
                #expect(error.description.contains(fragment), "\(fragment) missing from \(error)")
            }
        }
        // A small set still comes whole.
        let small = TensorDataset(features: Tensor.zeros([5, 3]), labels: IntTensor([0, 1, 0, 1, 0]))
        #expect(try small.all().inputs.shape == [5, 3])
    }

    @Test func anIDXFileIsCheckedWithItsFloatCopy() throws {
        // A header declaring bytes within the limit whose float copy (4× as large) is not: the file and
        // the tensor together need 1.25× the limit. The gzip stream holds only the header.
        let limit = MemoryBudget.limit
        let planes = max(1, limit / 4 / (1 << 20))
        var header: [UInt8] = [0, 0, 0x08, 3]
        for size in [planes, 1024, 1024] { header += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: size >> $0) } }
        let folder = TemporaryFolder()
        let path = folder.write("images-idx3-ubyte.gz", Gzip.compress(header + [1, 2, 3]))
        do {
            _ = try IDX.read(path, expecting: .unsignedByte, rank: 3)
            Issue.record("an IDX file whose float copy exceeds the limit was read")
        } catch let error as MemoryLimitError {
            #expect(error.estimate == 16 + planes << 20 + 4 * (planes << 20))
            for fragment in [path, "\(planes)×1024×1024", "as 32-bit floats", "--memory-limit"] {
                #expect(error.description.contains(fragment), "\(fragment) missing from \(error)")
            }
        }
        // The same check for an uncompressed file, whose bytes are read before its header is known.
        #expect(throws: MemoryLimitError.self) { try IDX.checkWithFloatCopy(bytes: limit / 2, shape: [limit / 2], path: "x") }
        #expect(throws: Never.self) { try IDX.checkWithFloatCopy(bytes: 60_016, shape: [60_000], path: "x") }
    }
}
