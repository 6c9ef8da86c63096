import CNablaBLAS
import Nabla

/// Runs `body` with OpenBLAS (and the LAPACK routines built on it) on every core, and Nabla's own
/// workers asleep so they do not take turns on those cores (see `Parallelism.restWorkers`).
///
/// Nabla's tensor products leave OpenBLAS at one thread, because they split the work across cores
/// themselves; a classical method's big product or decomposition is one call that wants them all.
/// Measured on PCA of 60,000 × 784 images: the top 50 eigenpairs of the 784 × 784 covariance took
/// 37–49 ms on one thread and about 30 on two.
func withAllCoresForBLAS<Result>(_ body: () throws -> Result) rethrows -> Result {
    let previousThreads = openblas_get_num_threads()
    openblas_set_num_threads(Int32(Cores.count))
    defer { openblas_set_num_threads(previousThreads) }
    Parallelism.restWorkers()
    return try body()
}
