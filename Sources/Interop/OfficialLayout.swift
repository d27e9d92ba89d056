import Numerics

/// Our modules as the official I-JEPA code names them (facebookresearch/ijepa,
/// src/models/vision_transformer.py). The parameter names are the official
/// ones already; two official parameters are fixed sin-cos positions that we
/// compute instead of storing (`pos_embed`, `predictor_pos_embed`), so export
/// adds them and import checks them. Tensors come in the official
/// state_dict order: a module's own parameters, then its children's.
enum OfficialLayout {
    /// (name, shape, values) of one tensor of a module.
    struct Tensor {
        let name: String
        let shape: [Int]
        let values: [Float]
    }

    static func encoder(_ m: VisionTransformer) -> [Tensor] {
        let n = m.shape.numPatches, e = m.shape.encoder.embedDim
        return [Tensor(name: "pos_embed", shape: [1, n, e], values: m.positions)] + parameters(m.params)
    }

    static func predictor(_ m: Predictor) -> [Tensor] {
        let n = m.shape.numPatches, p = m.shape.predictorDim
        let all = parameters(m.params)
        return all.filter { $0.name == "mask_token" }
            + [Tensor(name: "predictor_pos_embed", shape: [1, n, p], values: m.positions)]
            + all.filter { $0.name != "mask_token" }
    }

    static func parameters(_ store: ParameterStore) -> [Tensor] {
        store.entries.map { e in
            Tensor(name: e.name, shape: e.shape,
                   values: Array(UnsafeBufferPointer(start: store.value(e.offset), count: e.count)))
        }
    }
}
