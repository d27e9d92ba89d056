import Foundation
import Pipeline
import Preparation
import Pretraining
import Probing

/// Which artifacts the pipeline and sweep files still use, so the rest can
/// be listed for deletion (`make gc-list`).
public enum ArtifactReach {
    /// (stage, key) of every artifact that `config`'s stages build (the
    /// report is added by the callers, which know its runs).
    public static func keys(_ config: PipelineConfig, store: ArtifactStore) throws -> [(stage: String, key: String)] {
        try StageGraph.stages.flatMap { try $0.artifacts(config, store: store) }
    }

    /// Artifact folders under the store that no file in `pipelineFiles` or
    /// `sweepFiles` reaches, nor a completed run's recorded command. Reports count as reached when their pipeline or
    /// sweep is; files that no longer load are named in `skipped`.
    public static func unreached(pipelineFiles: [String], sweepFiles: [String],
                                 store: ArtifactStore) -> (paths: [String], skipped: [String]) {
        var reached = Set<String>(), skipped: [String] = []
        func add(_ config: PipelineConfig) throws {
            for (stage, key) in try keys(config, store: store) { reached.insert("\(stage)/\(key)") }
        }
        for f in pipelineFiles {
            do {
                let c = try PipelineConfig.load(path: f)
                try add(c)
                if let k = try? ReportStage.key(runs: [RunRecord(index: 0, label: "", assignment: [], config: c, store: store)], sweep: nil, config: c) {
                    reached.insert("\(ReportStage.name)/\(k)")
                }
            } catch { skipped.append("\(error)") }
        }
        for f in sweepFiles {
            do {
                let s = try SweepFile.load(path: f)
                for run in s.runs { try add(try s.config(run)) }
                if let runs = try? RunRecord.all(s, overrides: [], store: store), let k = try? ReportStage.key(runs: runs, sweep: s, config: runs[0].config) {
                    reached.insert("\(ReportStage.name)/\(k)")
                }
            } catch { skipped.append("\(error)") }
        }
        // Runs made with --set or --seed that no file names: live while the
        // command their probe manifest recorded still gives their key.
        for config in RunCatalog.liveConfigs(store: store) {
            do { try add(config) } catch { skipped.append("\(error)") }
        }
        var paths: [String] = []
        let fm = FileManager.default
        for stage in ((try? fm.contentsOfDirectory(atPath: store.root)) ?? []).sorted() where !stage.hasPrefix(".") {
            for key in ((try? fm.contentsOfDirectory(atPath: "\(store.root)/\(stage)")) ?? []).sorted()
            where !key.hasPrefix(".") && !reached.contains("\(stage)/\(key)") {
                paths.append("\(store.root)/\(stage)/\(key)")
            }
        }
        return (paths, skipped)
    }
}
