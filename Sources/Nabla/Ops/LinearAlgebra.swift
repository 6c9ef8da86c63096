import CNablaBLAS

/// The eigenvalues of a symmetric matrix in ascending order (LAPACK `dsyevd`, in double precision).
/// Used to read curvature off a Hessian: all positive at a minimum, mixed signs at a saddle point.
public func symmetricEigenvalues(_ matrix: Tensor) -> Tensor {
    symmetricEigen(matrix, vectors: false).values
}

/// Eigenvalues (ascending) and eigenvectors (as columns) of a symmetric matrix.
public func symmetricEigen(_ matrix: Tensor) -> (values: Tensor, vectors: Tensor) {
    let result = symmetricEigen(matrix, vectors: true)
    return (result.values, result.vectors!)
}

private func symmetricEigen(_ matrix: Tensor, vectors: Bool) -> (values: Tensor, vectors: Tensor?) {
    precondition(matrix.rank == 2 && matrix.shape[0] == matrix.shape[1],
                 "symmetricEigen: needs a square matrix, got shape \(describe(matrix.shape))")
    let n = matrix.shape[0]
    var entries = matrix.scalars.map(Double.init)
    var eigenvalues = [Double](repeating: 0, count: n)
    let status = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, vectors ? Int8(UInt8(ascii: "V")) : Int8(UInt8(ascii: "N")),
                                Int8(UInt8(ascii: "U")), Int32(n), &entries, Int32(n), &eigenvalues)
    precondition(status == 0, "symmetricEigen: LAPACK dsyevd failed with status \(status)")
    return (Tensor(eigenvalues.map(Float.init)), vectors ? Tensor(entries.map(Float.init), shape: [n, n]) : nil)
}
