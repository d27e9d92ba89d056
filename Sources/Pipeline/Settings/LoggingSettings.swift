/// `logging`: checkpoints, progress and the learning curve. None of these
/// change what a stage computes, so no artifact key holds them (change the
/// learning curve with FORCE=1); the Pretrain manifest records the curve's.
public struct LoggingSettings: SettingsGroup {
    public var writeTag = "jepa"
    public var folder: String? = nil
    public var checkpointEvery = 200
    public var progressInterval = 10.0
    public var evalEvery = TrainingPeriod.epochs(0.5)
    public var evalQueries = 1000
    public var evalBank = 3000
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("logging.write_tag", \.writeTag,
              "prefix of the official code's file names; here a run's files are artifacts/pretrain/<key>/checkpoint.h5 and log.csv (said at the start when logging.folder is set)",
              official: .differs("file-name prefix there; not used in file names here"), rule: Check.nonEmptyString()),
        Field("logging.folder", \.folder,
              "the official code's output folder; here the artifact store holds a run's files (said at the start when set), and a relative meta.read_checkpoint is read from it",
              official: .differs("output folder there; the artifact store here")),
        Field("logging.checkpoint_every", \.checkpointEvery, "steps between checkpoints (and at the end)",
              official: .ours, rule: Check.intRange(1)),
        Field("logging.progress_interval", \.progressInterval, "seconds between progress lines when not on a terminal",
              official: .ours, rule: Check.doubleRange(0.1, 3600)),
        Field("logging.eval_every", \.evalEvery,
              "learning curve: k-NN top-1 of the target encoder during training (eval.csv), every N steps (an integer) or \"X epochs\", and at the start and end; 0: never. Like the other logging keys not part of the Pretrain key (change it with FORCE=1)",
              official: .ours),
        Field("logging.eval_queries", \.evalQueries,
              "learning curve: images scored, a fixed stratified sample of the train holdout that probe.eval_split: holdout scores (probe.holdout_fraction, probe.seed)",
              official: .ours, rule: Check.intRange(10)),
        Field("logging.eval_bank", \.evalBank,
              "learning curve: labelled neighbours, a fixed stratified sample of the rest of train (probe.knn_k and probe.knn_temperature vote)",
              official: .ours, rule: Check.intRange(10)),
    ]
}
