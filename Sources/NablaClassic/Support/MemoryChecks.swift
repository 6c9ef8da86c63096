import NablaData

// The requests of classical methods that grow with the square of the data (an n×n distance, kernel or
// affinity matrix, a d×d covariance per class) are estimated and checked against `MemoryBudget` before
// anything is allocated: `tsne --exact` on 60,000 points would ask for 28.8 GB, QDA on 100,000 columns for
// 80 GB per class, and such a request must be a clear refusal, not a trap or the kernel's out-of-memory killer.

/// Throws `MemoryLimitError` unless `copies` dense `rows × columns` matrices of doubles fit the memory
/// budget. `what` names the matrix for the message, e.g. "the distance matrix".
func checkMatrixMemory(method: String, _ what: String, rows: Int, columns: Int, copies: Int = 1) throws {
    try MemoryBudget.check(bytes: MemoryBudget.doubles(rows, columns, copies),
                           for: "\(method): \(copies == 1 ? "" : "\(copies) × ")\(what) (\(rows)×\(columns) doubles)")
}
