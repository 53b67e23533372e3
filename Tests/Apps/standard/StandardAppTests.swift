import Testing
import TestSupport
import standard

/// The standard appliance adds nothing: without a disk, the welcome page and the built-in pages.
@Suite struct StandardAppTests {
    @Test func servesTheWelcomePageAndTheBuiltInPages() {
        let harness = AppHarness(application)
        #expect(harness.get("/").status == 200)
        #expect(harness.get("/factory/health").status == 200)
        #expect(harness.get("/nothing-here").status == 404)
    }
}
