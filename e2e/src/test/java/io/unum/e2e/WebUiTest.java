package io.unum.e2e;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.Request;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import io.unum.api.model.Capability;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import io.unum.testing.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The web UI in a real headless Chromium (Debian's, never a downloaded one) against a real
 * cluster: sign-in, live nodes and processes, capabilities, signals, refusals. Each view is
 * saved to {@code e2e/target/screenshots/}.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebUiTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final List<String> CHROMIUM_ARGS = List.of("--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run");

    private static LocalCluster cluster;
    private static Api api;
    private static Playwright playwright;
    private static Browser browser;

    private final List<Integer> started = new ArrayList<>();
    private final List<BrowserContext> contexts = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        if (!Files.isExecutable(CHROMIUM)) {
            fail(CHROMIUM + " is missing: run scripts/install-deps.sh (it installs Debian's chromium package), then run this test again");
        }
        Files.createDirectories(SCREENSHOTS);
        cluster = LocalCluster.builder().controlPlanes(1).agents(2).build().start();
        api = new Api(cluster.apiUrl(), cluster.adminToken());
        // The driver must never fetch browsers: the test uses the system's Chromium.
        playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(CHROMIUM).setHeadless(true).setArgs(CHROMIUM_ARGS));
        PlaywrightAssertions.setDefaultAssertionTimeout(20_000);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (playwright != null) {
            playwright.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void cleanUp() {
        contexts.forEach(BrowserContext::close);
        started.forEach(gpid -> api.signal(gpid, "KILL"));
    }

    private Page newPage(int width, int height) {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(width, height));
        contexts.add(context);
        Page page = context.newPage();
        page.setDefaultTimeout(20_000);
        return page;
    }

    private Page signedIn(String token, int width, int height) {
        Page page = newPage(width, height);
        page.navigate(cluster.apiUrl() + "/");
        page.getByLabel("Token").fill(token);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Cluster").setLevel(1))).isVisible();
        return page;
    }

    private ProcessInfo spawn(List<String> argv, String caps) {
        ProcessInfo p = api.spawn(new SpawnRequest(argv, null, null, null, null, null, caps));
        started.add(p.gpid());
        return p;
    }

    private static void screenshot(Page page, String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve(name)).setFullPage(true));
    }

    private static Locator row(Page page, int gpid) {
        return page.locator("tr[data-gpid='" + gpid + "']");
    }

    @Test
    @Order(1)
    void signInThenSeeTheNodesWithTheTokenOnlyInHeaders() {
        Page page = newPage(1280, 860);
        List<Request> apiRequests = new CopyOnWriteArrayList<>();
        page.onRequest(r -> {
            if (r.url().contains("/api/")) {
                apiRequests.add(r);
            }
        });
        page.navigate(cluster.apiUrl() + "/");
        page.getByLabel("Token").fill("not-a-token");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        assertThat(page.getByRole(AriaRole.ALERT)).containsText("send a valid token");
        screenshot(page, "01-sign-in-refused.png");

        page.getByLabel("Token").fill(cluster.adminToken());
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Cluster").setLevel(1))).isVisible();
        assertThat(page.getByTestId("role")).hasText("admin");
        assertThat(page.getByTestId("nodes-ready")).hasText("2 / 2");
        for (String node : List.of("node-1", "node-2")) {
            Locator card = page.locator("li[data-node='" + node + "']");
            assertThat(card.locator(".badge")).hasText("READY");
            assertThat(card.getByRole(AriaRole.METER, new Locator.GetByRoleOptions().setName("CPU of " + node))).isVisible();
            // A few heartbeats in, the chart has a line to draw.
            assertThat(card.locator("figcaption")).containsText(Pattern.compile("\\b([3-9]|\\d\\d+) samples"));
            assertThat(card.locator("canvas")).isVisible();
        }
        screenshot(page, "02-cluster.png");

        assertEquals(cluster.adminToken(), page.evaluate("sessionStorage.getItem('unum.token')"));
        List<String> streams = apiRequests.stream().map(Request::url).filter(u -> u.endsWith("/events")).toList();
        assertTrue(streams.stream().anyMatch(u -> u.endsWith("/api/v1/processes/events")), "process stream opened: " + streams);
        assertTrue(streams.stream().anyMatch(u -> u.endsWith("/api/v1/nodes/events")), "node stream opened: " + streams);
        for (Request r : apiRequests) {
            assertFalse(r.url().contains(cluster.adminToken()), "the token never goes into a URL: " + r.url());
            if (r.url().endsWith("/events")) {
                assertEquals("Bearer " + cluster.adminToken(), r.headers().get("authorization"), r.url());
            }
        }

        // Closing the page ends both streams on the server: no subscription is left behind.
        contexts.remove(page.context());
        page.context().close();
        Api.await(() -> api.get("/q/metrics").body(),
                m -> m.contains("unum_events_subscribers{stream=\"processes\"} 0.0")
                        && m.contains("unum_events_subscribers{stream=\"nodes\"} 0.0"),
                Duration.ofSeconds(20), "event subscribers after the browser closed");
    }

    @Test
    @Order(2)
    void processesAppearLiveAndTheTableSortsFiltersAndKeepsTheSelection() {
        Page page = signedIn(cluster.adminToken(), 1280, 860);
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Processes").setExact(true)).click();
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Processes").setLevel(1))).isVisible();

        List<ProcessInfo> spawned = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            spawned.add(spawn(List.of("sleep", "61" + i), null));
        }
        // They appear without a reload, over the event stream, RUNNING on the node placement chose.
        for (ProcessInfo p : spawned) {
            assertThat(row(page, p.gpid()).locator(".badge")).hasText("RUNNING");
            assertThat(row(page, p.gpid()).locator("td").nth(1)).hasText(p.node());
        }

        ProcessInfo chosen = spawned.get(2);
        row(page, chosen.gpid()).click();
        assertThat(row(page, chosen.gpid())).hasAttribute("aria-selected", "true");
        // Live updates (a new process, usage ticks) keep the selection.
        ProcessInfo later = spawn(List.of("sleep", "620"), null);
        assertThat(row(page, later.gpid())).isVisible();
        assertThat(row(page, chosen.gpid())).hasAttribute("aria-selected", "true");
        // Usage arrives with the once-a-second ticks.
        assertThat(row(page, later.gpid()).locator("td").nth(5)).containsText(Pattern.compile("KiB|MiB"));

        // Sorting by gpid: the header says so, and the rows follow.
        Locator gpidHeader = page.locator("th.col-gpid");
        gpidHeader.getByRole(AriaRole.BUTTON).click();
        assertThat(gpidHeader).hasAttribute("aria-sort", "descending");
        gpidHeader.getByRole(AriaRole.BUTTON).click();
        assertThat(gpidHeader).hasAttribute("aria-sort", "ascending");
        List<Integer> shown = page.locator("tbody tr[data-gpid]").all().stream()
                .map(r -> Integer.parseInt(r.getAttribute("data-gpid"))).toList();
        assertEquals(shown.stream().sorted().toList(), shown, "ascending by gpid");
        screenshot(page, "03-processes.png");

        // Text filter, then the node filter.
        page.getByLabel("Search").fill("sleep 612");
        assertThat(page.locator("tbody tr[data-gpid]")).hasCount(1);
        assertThat(row(page, chosen.gpid())).isVisible();
        page.getByLabel("Search").fill("");
        page.getByLabel("Node").selectOption(chosen.node());
        long onNode = api.processes().stream()
                .filter(p -> p.state() == ProcessState.RUNNING && chosen.node().equals(p.node())).count();
        page.getByLabel("State").selectOption("RUNNING");
        assertThat(page.locator("tbody tr[data-gpid]")).hasCount((int) onNode);
        screenshot(page, "04-processes-filtered.png");

        // Keyboard: the table takes arrow keys and Enter opens the selected process.
        page.getByLabel("Node").selectOption("");
        page.getByLabel("State").selectOption("");
        page.locator(".table-scroll").focus();
        page.keyboard().press("Home");
        String first = page.locator("tbody tr[data-gpid]").first().getAttribute("data-gpid");
        assertThat(row(page, Integer.parseInt(first))).hasAttribute("aria-selected", "true");
        page.keyboard().press("Enter");
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Process " + first).setExact(true))).isVisible();
    }

    @Test
    @Order(3)
    void processDetailTogglesACapabilityFollowsOutputRefusesABadSignalAndKills() {
        ProcessInfo p = spawn(List.of("sh", "-c", "echo hello-from-unum; echo oops >&2; exec sleep 600"), "+CHANGE_CAPS");
        ProcessInfo child = api.spawn(new SpawnRequest(List.of("sleep", "631"), null, p.gpid(), null, null, null, null));
        started.add(child.gpid());
        Page page = signedIn(cluster.adminToken(), 1280, 1000);
        page.navigate(cluster.apiUrl() + "/#/processes/" + p.gpid());
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Process " + p.gpid()).setExact(true))).isVisible();
        assertThat(page.getByTestId("detail-state")).hasText("RUNNING");
        assertThat(page.getByTestId("output")).containsText("hello-from-unum");
        assertThat(page.getByTestId("output")).containsText("oops");
        assertThat(page.locator(".children")).containsText(child.gpid() + " sleep 631");

        Locator canMigrate = page.getByLabel("CAN_MIGRATE in the effective set");
        assertThat(canMigrate).not().isChecked();
        canMigrate.click(); // the box follows the record: it turns on once the API agreed
        assertThat(canMigrate).isChecked();
        assertThat(page.getByTestId("caps-message")).containsText("+CAN_MIGRATE applied");
        api.awaitProcess(p.gpid(), x -> x.capabilities().effective().contains(Capability.CAN_MIGRATE), Duration.ofSeconds(10));
        screenshot(page, "05-process-detail.png");

        page.getByLabel("Signal", new Page.GetByLabelOptions().setExact(true)).fill("NOPE");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Send signal")).click();
        assertThat(page.getByTestId("action-message")).containsText("unknown signal 'NOPE'");
        assertThat(page.getByRole(AriaRole.ALERT)).containsText("unknown signal 'NOPE'");
        screenshot(page, "06-refused-signal.png");

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Kill")).click();
        assertThat(page.getByTestId("detail-state")).hasText("EXITED");
        ProcessInfo ended = api.awaitState(p.gpid(), ProcessState.EXITED);
        assertEquals(9, ended.exitSignal(), "killed with SIGKILL");
        assertThat(page.getByLabel("CAN_MIGRATE in the effective set")).isDisabled();
        screenshot(page, "07-process-killed.png");
    }

    @Test
    @Order(4)
    void refusedCapabilityChangeShowsTheProblemAndChangesNothing() {
        ProcessInfo p = spawn(List.of("sleep", "640"), null);
        Page page = signedIn(cluster.adminToken(), 1280, 1000);
        page.navigate(cluster.apiUrl() + "/#/processes/" + p.gpid());
        Locator canMigrate = page.getByLabel("CAN_MIGRATE in the effective set");
        canMigrate.click();
        assertThat(page.getByTestId("caps-message")).containsText("lacks CHANGE_CAPS");
        assertThat(canMigrate).not().isChecked();
        assertFalse(api.process(p.gpid()).capabilities().effective().contains(Capability.CAN_MIGRATE));
        screenshot(page, "08-refused-capability.png");
    }

    @Test
    @Order(5)
    void aViewerSeesNoActions() {
        ProcessInfo p = spawn(List.of("sleep", "650"), null);
        Page page = signedIn(cluster.viewerToken(), 1280, 1000);
        assertThat(page.getByTestId("role")).hasText("viewer");
        page.navigate(cluster.apiUrl() + "/#/processes/" + p.gpid());
        assertThat(page.getByTestId("detail-state")).hasText("RUNNING");
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Actions"))).hasCount(0);
        assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Kill"))).hasCount(0);
        assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Send signal"))).hasCount(0);
        assertThat(page.getByLabel("CAN_MIGRATE in the effective set")).isDisabled();
        assertThat(page.getByText("Read only: your token has the viewer role.")).isVisible();
        screenshot(page, "09-viewer-detail.png");
    }

    @Test
    @Order(6)
    void aNarrowScreenShowsTheEssentials() {
        ProcessInfo p = spawn(List.of("sleep", "660"), null);
        Page page = signedIn(cluster.adminToken(), 390, 844);
        assertThat(page.locator("li[data-node='node-1'] .badge")).hasText("READY");
        screenshot(page, "10-narrow-cluster.png");
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Processes").setExact(true)).click();
        assertThat(row(page, p.gpid())).isVisible();
        assertThat(page.locator("th.col-user")).isHidden();
        screenshot(page, "11-narrow-processes.png");
        row(page, p.gpid()).getByRole(AriaRole.LINK).click();
        assertThat(page.getByTestId("detail-state")).hasText("RUNNING");
        screenshot(page, "12-narrow-detail.png");
    }
}
