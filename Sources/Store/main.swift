import ArgumentParser
import Foundation
import Pipeline
import Reporting
import StageCLI

/// `Store`: maintenance of the artifact store, apart from the stages:
/// re-hash a pipeline's artifacts, list the folders nothing reaches, and
/// check and count a sweep's variants (for the Makefile's sweep target).
struct Store: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify, list unreachable and plan artifacts of the store.",
        version: BuildInfo.line,
        subcommands: [Verify.self, GCList.self, Variants.self, Plan.self, Record.self, Runs.self, Diff.self, Memory.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash every artifact of the pipeline against its manifest (non-zero exit when one is damaged).")
        @OptionGroup var options: StageOptions

        func run() throws {
            do {
                let store = options.store
                var damaged = 0
                for (stage, key, status) in try ArtifactVerify.check(try options.loadConfig(), store: store) {
                    switch status {
                    case .ok(let n): print("ok       \(stage)/\(key) (\(n) files)")
                    case .notBuilt: print("missing  \(stage)/\(key) (not built yet)")
                    case .damaged(let why):
                        damaged += 1
                        print("DAMAGED  \(stage)/\(key): \(why); remove \(store.directory(stage: stage, key: key)) and run make again")
                    }
                }
                if damaged > 0 { throw PipelineError("\(damaged) damaged artifact(s)") }
            } catch {
                throw failure("store", error)
            }
        }
    }

    struct GCList: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc-list",
            abstract: "List artifact folders that no pipelines/*.yaml or pipelines/sweeps/*.yaml file reaches.")
        @Option(help: "Artifact root folder.") var artifacts: String = "artifacts"
        @Option(help: "Folder of the pipeline files (sweeps in its sweeps/ folder).") var pipelines: String = "pipelines"

        func run() throws {
            do {
                let (paths, skipped) = ArtifactReach.unreached(
                    pipelineFiles: try yamlFiles(in: pipelines), sweepFiles: try yamlFiles(in: "\(pipelines)/sweeps"),
                    store: ArtifactStore(root: artifacts))
                for s in skipped { Console.logger("store").warning("not counted: \(s)") }
                paths.forEach { print($0) }
            } catch {
                throw failure("store", error)
            }
        }
    }

    struct Variants: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every variant of --sweep (keys, values, masks) and print how many there are.")
        @OptionGroup var options: StageOptions

        func run() throws {
            do {
                guard let path = options.sweep else { throw PipelineError("variants: needs --sweep FILE") }
                let sweep = try SweepFile.load(path: path)
                try SweepCheck.validate(sweep, overrides: options.overrides)
                print(sweep.variantCount)
            } catch {
                throw failure("store", error)
            }
        }
    }

    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add the runs of --sweep (every variant at every seed), of --config at --seeds, or of --config (at --seed) to the results registry, from their artifacts.")
        @OptionGroup var options: StageOptions
        @Option(help: "The registry file.") var registry: String = ResultsRegistry.defaultPath

        func run() throws {
            do {
                let sweep = options.variant == nil && options.seed == nil ? try options.loadRuns() : nil
                if options.variant != nil { throw PipelineError("record: records every run of --sweep; leave out --variant") }
                let config = sweep == nil ? try options.loadConfig() : nil
                let new = try ResultsRegistry.entries(sweep: sweep, config: config, seed: options.seed,
                                                      overrides: options.overrides, store: options.store)
                let all = ResultsRegistry.merged(try ResultsRegistry.read(registry), new)
                try ResultsRegistry.write(all, to: registry)
                for e in new {
                    print("recorded \(e.source) variant \(e.variant)\(e.seed.map { " seed \($0)" } ?? ""): probe \(e.probeKey), linear \(e.metrics["ijepa_linear_100pct"].map { String(format: "%.2f", 100 * $0) } ?? "-")")
                }
                print("\(registry): \(all.count) runs")
            } catch {
                throw failure("store", error)
            }
        }
    }

    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per completed run in the store (a probe artifact): its pipeline or sweep variant and seed, the values that differ from its pipeline file, the headline probes, pretraining minutes, CPU class, commit and date.")
        @Option(help: "Artifact root folder.") var artifacts: String = "artifacts"
        @Flag(help: "CSV instead of aligned columns.") var csv = false

        func run() throws {
            let runs = RunCatalog.list(store: ArtifactStore(root: artifacts))
            print(csv ? RunCatalog.csv(runs) : RunCatalog.table(runs), terminator: "")
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The settings two runs differ in, stage by stage (probe keys or unique prefixes, as make runs prints them).")
        @Option(help: "Artifact root folder.") var artifacts: String = "artifacts"
        @Argument(help: "Probe key (or prefix) of the first run.") var a: String
        @Argument(help: "Probe key (or prefix) of the second run.") var b: String

        func run() throws {
            do {
                let rows = try RunCatalog.diff(a, b, store: ArtifactStore(root: artifacts))
                if rows.isEmpty { print("no setting differs") }
                for r in rows {
                    // "probe.knn_k (probe)" -> "probe.knn_k: 5 -> 10 (probe)"
                    let parts = r.key.split(separator: " ", maxSplits: 1)
                    print("\(parts[0]): \(r.a) -> \(r.b) \(parts.count > 1 ? String(parts[1]) : "")")
                }
            } catch {
                throw failure("store", error)
            }
        }
    }

    struct Memory: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The memory the stages plan with now, and the limit that binds: the least of MemAvailable, the headroom under the cgroup's memory.max and under ulimit -v and -d.")

        func run() {
            print(MachineMemory.availability()?.description ?? "unknown (no /proc/meminfo, cgroup or rlimit to read)")
        }
    }

    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every run of --sweep (each variant at each seed), or of --config at --seeds, and print their names (V or V-S) on one line.")
        @OptionGroup var options: StageOptions

        func run() throws {
            do {
                guard let sweep = try options.loadRuns() else { throw PipelineError("plan: needs --sweep FILE, or --seeds with --config") }
                try SweepCheck.validate(sweep, overrides: options.overrides)
                print(sweep.runs.map(\.name).joined(separator: " "))
            } catch {
                throw failure("store", error)
            }
        }
    }
}

func yamlFiles(in dir: String) throws -> [String] {
    guard FileManager.default.fileExists(atPath: dir) else { return [] }
    do {
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { "\(dir)/\($0)" }
    } catch {
        throw PipelineError("\(dir): cannot list the folder: \(error.localizedDescription)")
    }
}

Store.main()
