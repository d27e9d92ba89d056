import Pipeline
import Preparation
import Pretraining
import Probing

/// The pipeline's stages in the order they run: each one's upstream stages
/// come before it. Verify, gc-list and the report's records walk this.
public enum StageGraph {
    public static var stages: [any Stage.Type] { [PrepareStage.self, PretrainStage.self, ProbeStage.self] }
}
