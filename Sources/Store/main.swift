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
        subcommands: [Verify.self, GCList.self, Variants.self])

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
                Console.fail("store", error)
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
                Console.fail("store", error)
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
                Console.fail("store", error)
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
