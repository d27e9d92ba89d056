/// What a shard file says about its samples; stored as HDF5 attributes on the
/// root group so any HDF5 tool (h5py, h5dump) reads them.
public struct ShardAttributes: Sendable, Equatable {
    public static let formatVersion = 1

    public var split: String
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var classNames: [String]
    /// Per-channel mean and std of train pixels scaled to [0, 1].
    public var mean: [Double]
    public var std: [Double]

    public init(split: String, imageSize: Int, patchSize: Int, channels: Int, classNames: [String],
                mean: [Double] = [], std: [Double] = []) {
        self.split = split
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.channels = channels
        self.classNames = classNames
        self.mean = mean
        self.std = std
    }

    public var gridSize: Int { imageSize / patchSize }
    public var numPatches: Int { gridSize * gridSize }
    public var patchDim: Int { channels * patchSize * patchSize }
}
