import Numerics

/// Combines the gradients of data-parallel replicas of a trainer (the
/// Distributed library's GradientAverager does it over MPI). The trainer
/// hands over each store as soon as its gradients are final, so reduction
/// can overlap the rest of the backward, and waits in `finish` before it
/// reads them.
public protocol GradientReducer: AnyObject {
    /// `store`'s gradients are final on this replica.
    func ready(_ store: ParameterStore)
    /// Returns when every store handed over holds the replicas' mean.
    func finish()
    /// The replicas' mean of per-replica values (loss, monitors).
    func mean(_ values: [Double]) -> [Double]
}
