/// `report`: how the report is presented.
public struct ReportSettings: SettingsGroup {
    public var title = "I-JEPA report"
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("report.title", \.title, "report heading"),
    ]
}
