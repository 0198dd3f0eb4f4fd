package bus

// Exported for the tests of package bus_test.
var (
	DuplicateWindowOf   = duplicateWindow
	WithDuplicateWindow = withDuplicateWindow
)
