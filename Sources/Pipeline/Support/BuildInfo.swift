/// What `--version` prints: the package version and the commit the running
/// executable was built from (with "+dirty" for uncommitted changes), which
/// is what identifies a build exactly; manifests record the same commit.
public enum BuildInfo {
    /// Raised with each landed round of user-visible changes.
    public static let version = "0.34.0"

    public static var line: String {
        let git = Provenance.gitState()
        return "\(version) (commit \(git.commit)\(git.dirty == true ? "+dirty" : ""))"
    }
}
