internal import CBLAS
internal import CKernels

/// Matrix products through OpenBLAS, row-major.
///
/// Every matrix product in nnmodel goes through ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
package enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C` with `op(A)` of shape `[m, k]` and `op(B)` of shape `[k, n]`.
    @inline(__always)
    package static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// Sets the number of threads OpenBLAS uses for one product.
    ///
    /// With one, OpenBLAS's idle server threads are also stopped: they poll for work for about
    /// 0.1 s after OpenBLAS starts, which costs a short job (evaluating 10,000 images) a third of
    /// its time on two cores. OpenBLAS starts them again if a later call asks for more.
    /// The first call also lets OpenBLAS use AVX-512 or AVX2 kernels where its CPU detection
    /// fell back to generic SSE3 ones (see ``selectKernels()``).
    package static func setThreadCount(_ n: Int) {
        _ = selectKernels()
        openblas_set_num_threads(Int32(max(1, n)))
        if n <= 1 { _ = nn_blas_stop_idle_threads() }
    }

    /// Re-selects OpenBLAS's kernels, once, when its detection did not know the CPU model and fell
    /// back to the generic SSE3 "Prescott" kernels on a CPU with AVX-512 or AVX2 (OpenBLAS 0.3.21
    /// on Intel's Emerald Rapids: six times slower). A user's `OPENBLAS_CORETYPE` is respected.
    /// Returns the kernels chosen, or nil when nothing changed.
    @discardableResult
    package static func selectKernels() -> String? {
        // OpenBLAS is loaded on first use (Sources/CBLAS); load it before looking at its kernels.
        _ = nn_blas_load()
        return nn_blas_select_kernels().map { String(cString: $0) }
    }

    /// The OpenBLAS kernels in use ("SkylakeX", "Haswell", "Prescott", ...), when OpenBLAS says.
    package static var kernels: String? {
        openblas_get_corename().map { String(cString: $0) }
    }

    /// The number of threads OpenBLAS uses for one product.
    package static var threadCount: Int { Int(openblas_get_num_threads()) }
}
