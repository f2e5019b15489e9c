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
import com.microsoft.playwright.Response;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import io.unum.api.model.Capability;
import io.unum.api.fs.FsPath;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.FsUsage;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SchedulerPolicy;
import io.unum.api.model.ShmSegmentInfo;
import io.unum.api.model.ShmState;
import io.unum.api.model.SpawnRequest;
import io.unum.client.FsPutOptions;
import io.unum.client.TransferProgress;
import io.unum.testing.AgentProcess;
import io.unum.testing.LocalCluster;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The web UI in a real headless Chromium (Debian's, never a downloaded one) against a real
 * cluster with real CRIU: sign-in, live nodes and processes, capabilities, signals, migration,
 * checkpoints and restarts, the scheduler's policy and decisions, a process's cluster-wide shared
 * memory, the cluster file system's storage and redundancy, refusals. Each view is saved
 * to {@code e2e/target/screenshots/}.
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
    private static Programs programs;

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
    static void stop() throws Exception {
        if (programs != null) {
            programs.close();
        }
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

    /**
     * A failed assertion says only what it waited for; what the page showed instead (its URL,
     * its text, a screenshot) is what tells a slow page from a wrong one. Runs before the
     * contexts are closed.
     */
    @RegisterExtension
    final TestExecutionExceptionHandler showPagesOnFailure = (context, failure) -> {
        int i = 0;
        for (BrowserContext c : contexts) {
            for (Page page : c.pages()) {
                String name = "FAILED-" + context.getRequiredTestMethod().getName() + "-" + i++ + ".png";
                try {
                    String text = page.locator("body").innerText(new Locator.InnerTextOptions().setTimeout(5_000));
                    System.err.println("page " + page.url() + " when " + context.getDisplayName() + " failed ("
                            + SCREENSHOTS.resolve(name) + "):\n" + text.substring(0, Math.min(text.length(), 3_000)));
                    screenshot(page, name);
                } catch (RuntimeException e) {
                    System.err.println("page " + page.url() + ": could not be shown: " + e.getMessage());
                }
            }
        }
        throw failure;
    };

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
        return spawnOn(null, argv, caps);
    }

    private ProcessInfo spawnOn(String node, List<String> argv, String caps) {
        ProcessInfo p = api.spawn(new SpawnRequest(argv, node, null, null, null, null, caps));
        started.add(p.gpid());
        return p;
    }

    private static Locator button(Page page, String name) {
        return page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName(name).setExact(true));
    }

    private static Locator field(Page page, String label) {
        return page.getByLabel(label, new Page.GetByLabelOptions().setExact(true));
    }

    private static void navigateTo(Page page, String view) {
        page.getByRole(AriaRole.NAVIGATION, new Page.GetByRoleOptions().setName("Main"))
                .getByRole(AriaRole.LINK, new Locator.GetByRoleOptions().setName(view).setExact(true)).click();
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName(view).setLevel(1))).isVisible();
    }

    private static Page openProcess(Page page, int gpid) {
        page.navigate(cluster.apiUrl() + "/#/processes/" + gpid);
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Process " + gpid).setExact(true))).isVisible();
        assertThat(page.getByTestId("detail-state")).hasText("RUNNING");
        return page;
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
    @Order(8)
    void aProcessUrlOpenedTheMomentSignInCompletesShowsThatProcess() {
        ProcessInfo p = spawnOn("node-1", List.of("sleep", "600"), null);
        Page page = newPage(1280, 900);
        page.navigate(cluster.apiUrl() + "/");
        page.getByLabel("Token").fill(cluster.adminToken());
        // As soon as the signed-in view is in the page, before its effects ran (they run after the
        // paint), the URL turns to the process's: the view must follow it. A busy machine opened
        // this window by itself; the observer opens it every time.
        page.evaluate("gpid => new MutationObserver((_, o) => {"
                + "  if ([...document.querySelectorAll('h1')].some(h => h.textContent === 'Cluster')) {"
                + "    o.disconnect(); location.hash = '#/processes/' + gpid; } })"
                + ".observe(document.body, {childList: true, subtree: true})", p.gpid());
        button(page, "Sign in").click();
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Process " + p.gpid())
                .setExact(true))).isVisible();
        assertThat(page.getByTestId("detail-state")).hasText("RUNNING");
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
        assertThat(field(page, "Migrate to")).hasCount(0);
        assertThat(button(page, "Checkpoint")).hasCount(0);
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Checkpoints"))).hasCount(0);
        screenshot(page, "09-viewer-detail.png");

        // The scheduler's policy and decisions, read only.
        navigateTo(page, "Scheduler");
        assertThat(page.getByTestId("policy-placement")).hasText(api.get("/api/v1/scheduler/policy").as(SchedulerPolicy.class).placement());
        assertThat(page.getByText("Read only: your token has the viewer role.")).isVisible();
        assertThat(button(page, "Apply policy")).hasCount(0);
        assertThat(field(page, "Placement")).hasCount(0);
        // Placing this process was a decision; it is in the log the view shows.
        assertThat(page.locator("tr[data-event-type='PLACED'][data-gpid='" + p.gpid() + "']")).isVisible();
        screenshot(page, "10-viewer-scheduler.png");
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
        assertThat(field(page, "Migrate to")).isVisible();
        screenshot(page, "12-narrow-detail.png");
        navigateTo(page, "Scheduler");
        assertThat(page.getByTestId("policy-placement")).isVisible();
        assertThat(field(page, "Placement")).isVisible();
        // Nothing is wider than the screen: wide tables scroll inside their own box.
        assertEquals(Boolean.TRUE, page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"),
                "no sideways scrolling of the page");
        screenshot(page, "12b-narrow-scheduler.png");
    }

    @Test
    @Order(7)
    void migrateFromTheDetailViewFollowsTheProgressAndTheProcessArrivesOnTheOtherNode() {
        ProcessInfo p = spawnOn("node-1", List.of("sleep", "670"), "+CAN_MIGRATE");
        Page page = signedIn(cluster.adminToken(), 1280, 1100);
        List<Request> streams = new CopyOnWriteArrayList<>();
        page.onRequest(r -> {
            if (r.url().contains("/api/v1/migrations/") && r.url().endsWith("/events")) {
                streams.add(r);
            }
        });
        openProcess(page, p.gpid());
        assertThat(page.getByTestId("detail-node")).containsText("node-1");
        // Only READY nodes other than its own are offered.
        assertEquals(List.of("node-2"), field(page, "Migrate to").locator("option").allTextContents());

        // Records every state the page shows, to check below that it moved through them live.
        page.evaluate("""
                () => {
                  window.shownStates = [];
                  new MutationObserver(() => {
                    const s = document.querySelector('[data-testid=migration-state]')?.textContent;
                    if (s && s !== window.shownStates[window.shownStates.length - 1]) window.shownStates.push(s);
                  }).observe(document.body, { subtree: true, childList: true, characterData: true });
                }""");
        field(page, "Migrate to").selectOption("node-2");
        button(page, "Migrate").click();
        assertThat(page.getByTestId("migration")).containsText("node-1 → node-2");
        assertThat(page.getByTestId("migration-state")).hasText("DONE", new LocatorAssertions.HasTextOptions().setTimeout(120_000));
        assertThat(page.getByTestId("migration-result")).containsText(Pattern.compile("Frozen for \\d+ ms"));
        @SuppressWarnings("unchecked")
        List<String> shown = (List<String>) page.evaluate("window.shownStates");
        assertEquals("PREPARING", shown.get(0), "the 202's record first: " + shown);
        assertEquals("DONE", shown.get(shown.size() - 1), "then the stream's, to the end: " + shown);
        // The record moved: the view shows the new node from the process stream.
        assertThat(page.getByTestId("detail-node")).containsText("node-2");
        assertThat(page.getByTestId("detail-state")).hasText("RUNNING");
        screenshot(page, "13-migrated.png");

        ProcessInfo moved = api.awaitProcess(p.gpid(), x -> "node-2".equals(x.node()), Duration.ofSeconds(10));
        assertEquals(ProcessState.RUNNING, moved.state());
        MigrationInfo[] migrations = api.get("/api/v1/migrations?gpid=" + p.gpid()).as(MigrationInfo[].class);
        assertEquals(1, migrations.length, "one migration of " + p.gpid());
        assertEquals(MigrationState.DONE, migrations[0].state());
        assertEquals("node-2", migrations[0].target());
        assertThat(page.getByTestId("migration")).hasAttribute("data-migration", migrations[0].id());
        // The progress came from the migration's own event stream, with the token in a header.
        assertTrue(streams.stream().anyMatch(r -> r.url().endsWith("/api/v1/migrations/" + migrations[0].id() + "/events")),
                "followed the migration's stream: " + streams);
        streams.forEach(r -> assertEquals("Bearer " + cluster.adminToken(), r.headers().get("authorization")));

        // The table shows it on its new node too.
        navigateTo(page, "Processes");
        assertThat(row(page, p.gpid()).locator("td").nth(1)).hasText("node-2");
    }

    @Test
    @Order(8)
    void aRefusedMigrationShowsTheProblemDetailAndMovesNothing() {
        ProcessInfo p = spawnOn("node-1", List.of("sleep", "680"), null);
        Page page = openProcess(signedIn(cluster.adminToken(), 1280, 1100), p.gpid());
        assertThat(page.getByText("It lacks CAN_MIGRATE in its effective set")).isVisible();
        Response refused = page.waitForResponse(r -> r.url().endsWith("/api/v1/processes/" + p.gpid() + "/migrate"),
                () -> button(page, "Migrate").click());
        assertEquals(409, refused.status());
        assertThat(page.getByTestId("migrate-message")).containsText("lacks CAN_MIGRATE in its effective capabilities");
        assertThat(page.getByRole(AriaRole.ALERT)).containsText("lacks CAN_MIGRATE");
        assertThat(page.getByTestId("migration")).hasCount(0);
        screenshot(page, "14-refused-migration.png");
        assertEquals("node-1", api.process(p.gpid()).node());
        assertEquals(0, api.get("/api/v1/migrations?gpid=" + p.gpid()).as(MigrationInfo[].class).length);
    }

    @Test
    @Order(9)
    void checkpointFromTheUiThenRestartItOnTheOtherNode() {
        // Counts in its memory and prints the count: a restart must go on from where the checkpoint was.
        ProcessInfo p = spawnOn("node-1", List.of("sh", "-c", "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done"),
                "+CHECKPOINTABLE");
        Page page = openProcess(signedIn(cluster.adminToken(), 1280, 1200), p.gpid());
        assertThat(page.getByTestId("checkpoints")).containsText("No checkpoint of process " + p.gpid());
        assertThat(page.getByTestId("output")).containsText("tick-3");

        field(page, "Stop it after the checkpoint").check();
        button(page, "Checkpoint").click();
        Locator message = page.getByTestId("checkpoint-message");
        assertThat(message).containsText("the process was stopped", new LocatorAssertions.ContainsTextOptions().setTimeout(60_000));
        Matcher m = Pattern.compile("Checkpoint (\\S+) taken on node-1").matcher(message.textContent());
        assertTrue(m.find(), message.textContent());
        String id = m.group(1);
        assertThat(page.getByTestId("detail-state")).hasText("EXITED");
        assertThat(page.getByTestId("output-status")).hasText("complete");
        int lastTick = lastTick(page.getByTestId("output").textContent());
        Locator listed = page.locator("tr[data-checkpoint='" + id + "']");
        assertThat(listed).containsText("node-1");
        screenshot(page, "15-checkpointed.png");

        CheckpointInfo[] all = api.get("/api/v1/checkpoints?gpid=" + p.gpid()).as(CheckpointInfo[].class);
        assertEquals(1, all.length);
        assertEquals(id, all[0].id());
        assertTrue(all[0].killed(), "stopped by the checkpoint");
        assertTrue(all[0].imageBytes() > 0);
        api.awaitState(p.gpid(), ProcessState.EXITED);

        // Restart it, with its gpid, on the other node.
        listed.getByLabel("Node to restart " + id + " on").selectOption("node-2");
        listed.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Restart")).click();
        assertThat(page.getByTestId("checkpoints-message")).containsText("restarted from " + id + " on node-2");
        assertThat(page.getByTestId("detail-state")).hasText("RUNNING");
        assertThat(page.getByTestId("detail-node")).containsText("node-2");
        ProcessInfo back = api.awaitProcess(p.gpid(), x -> x.state() == ProcessState.RUNNING, Duration.ofSeconds(20));
        assertEquals("node-2", back.node());
        // The output view follows it again, and the count goes on from the checkpoint, nothing lost or doubled.
        assertThat(page.getByTestId("output")).containsText("tick-" + (lastTick + 3) + "\n");
        assertThat(page.getByTestId("output-status")).hasText("following");
        String output = page.getByTestId("output").textContent();
        for (int i = 1; i <= lastTick + 3; i++) {
            assertEquals(1, Pattern.compile("(?m)^tick-" + i + "$").matcher(output).results().count(), "tick-" + i + " once");
        }

        // A second restart while it runs is refused with the API's reason.
        listed.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Restart")).click();
        assertThat(page.getByTestId("checkpoints-message")).containsText("is still RUNNING");
        assertThat(page.getByRole(AriaRole.ALERT)).containsText("is still RUNNING");
        screenshot(page, "16-restarted.png");
    }

    private static int lastTick(String output) {
        return Pattern.compile("(?m)^tick-(\\d+)$").matcher(output).results()
                .mapToInt(r -> Integer.parseInt(r.group(1))).max().orElseThrow(() -> new AssertionError("no tick in " + output));
    }

    @Test
    @Order(10)
    void theSchedulerViewShowsDecisionsLiveAndChangesThePolicy() {
        Page page = signedIn(cluster.adminToken(), 1280, 1200);
        navigateTo(page, "Scheduler");
        assertThat(page.getByTestId("events-status")).containsText("live");
        assertThat(page.locator("tr[data-sched-node='node-1']")).isVisible();
        assertThat(page.locator("tr[data-sched-node='node-2']")).isVisible();

        // A placement made now appears without a reload, with its reason.
        ProcessInfo p = spawn(List.of("sleep", "700"), null);
        Locator placed = page.locator("tr[data-event-type='PLACED'][data-gpid='" + p.gpid() + "']");
        assertThat(placed).containsText(p.node());

        SchedulerPolicy before = api.get("/api/v1/scheduler/policy").as(SchedulerPolicy.class);
        assertThat(page.getByTestId("policy-placement")).hasText(before.placement());
        field(page, "Placement").selectOption("round-robin");
        field(page, "Balancing").selectOption("mosix");
        field(page, "Load threshold (per core)").fill("50"); // high: nothing here is that loaded, nothing moves
        field(page, "Min interval (s)").fill("30");
        button(page, "Apply policy").click();
        assertThat(page.getByTestId("policy-message")).containsText("Policy saved: placement round-robin, balancing mosix");
        assertThat(page.getByTestId("policy-placement")).hasText("round-robin");
        assertThat(page.getByTestId("policy-balancing")).hasText("mosix");
        assertThat(page.getByTestId("policy-threshold")).containsText("50");

        SchedulerPolicy after = api.get("/api/v1/scheduler/policy").as(SchedulerPolicy.class);
        assertEquals("round-robin", after.placement());
        assertEquals("mosix", after.balancing());
        assertEquals(50.0, after.loadThreshold());
        assertEquals(30.0, after.minIntervalSeconds());
        assertEquals(before.probePeriodSeconds(), after.probePeriodSeconds(), "an untouched field keeps its value");
        // The change is itself a decision in the log, streamed back to the view.
        assertThat(page.locator("tr[data-event-type='POLICY_CHANGED']").first()).containsText("round-robin/mosix");
        screenshot(page, "17-scheduler.png");
    }

    @Test
    @Order(11)
    void theProcessPageShowsTheSharedMemorySegmentsItHasAttachedLive() {
        String remote = "+USE_REMOTE_MEMORY";
        // With the capability and nothing attached, the card says how to share; without it, no card.
        ProcessInfo idle = spawnOn("node-1", List.of("sleep", "710"), remote);
        ProcessInfo plain = spawnOn("node-1", List.of("sleep", "711"), null);
        Page page = openProcess(signedIn(cluster.adminToken(), 1280, 1400), idle.gpid());
        assertThat(page.getByTestId("shm-none")).containsText("No cluster-wide shared memory attached");
        openProcess(page, plain.gpid());
        assertThat(page.getByTestId("output")).isVisible();
        assertThat(page.getByTestId("shm")).hasCount(0);

        // A writer on node-1 whose ring fills and then waits, attached for as long as it lives.
        if (programs == null) {
            programs = new Programs();
        }
        String ring = programs.cProgram("shm-ring");
        int key = ThreadLocalRandom.current().nextInt(0x10000, 0x7fffffff);
        String count = "100000000";
        ProcessInfo writer = spawnOn("node-1", List.of(ring, "sysv", "writer", Integer.toString(key), count), remote);
        openProcess(page, writer.gpid());
        Locator segment = page.getByTestId("shm").locator("[data-shm]");
        // The segment appears without a reload once the writer attached.
        assertThat(segment.getByTestId("shm-key")).hasText(String.format("0x%08x", key));
        ShmSegmentInfo s = api.client().shmSegments().stream().filter(x -> Integer.valueOf(key).equals(x.key()))
                .findFirst().orElseThrow(() -> new AssertionError("segment with key " + key + " not listed"));
        assertThat(segment).hasAttribute("data-shm", Integer.toString(s.id()));
        assertThat(segment.getByTestId("shm-id")).hasText(Integer.toString(s.id()));
        assertThat(segment.getByTestId("shm-state")).hasText("ACTIVE");
        assertThat(segment.getByTestId("shm-home")).hasText("node-1");
        assertThat(segment.locator("[data-shm-attached='node-1']")).containsText(writer.gpid() + " (this process)");

        // A reader on node-2 attaches the same segment: the card shows it within a poll or two, and
        // each node's pages, the reader's node receiving pages as the two exchange messages.
        ProcessInfo reader = spawnOn("node-2", List.of(ring, "sysv", "reader", Integer.toString(key), count), remote);
        assertThat(segment.locator("[data-shm-attached='node-2']")).containsText(Integer.toString(reader.gpid()));
        assertThat(segment.locator("[data-shm-attached='node-1']")).containsText(Integer.toString(writer.gpid()));
        Locator pagesIn = segment.locator("tr[data-shm-node='node-2'] [data-testid='shm-pages-in']");
        assertThat(pagesIn).hasText(Pattern.compile("^[1-9]\\d*$"));
        assertThat(segment.locator("tr[data-shm-node='node-1'] [data-testid='shm-pages-out']")).hasText(Pattern.compile("^[1-9]\\d*$"));
        String seen = pagesIn.textContent();
        assertThat(pagesIn).not().hasText(seen); // polled: the count moves on without a reload
        screenshot(page, "18-shared-memory.png");

        // A viewer sees the same segment, and no Remove.
        Page viewer = openProcess(signedIn(cluster.viewerToken(), 1280, 1400), writer.gpid());
        Locator seenByViewer = viewer.locator("[data-shm='" + s.id() + "']");
        assertThat(seenByViewer.getByTestId("shm-key")).hasText(String.format("0x%08x", key));
        assertThat(seenByViewer.locator("[data-shm-attached='node-2']")).containsText(Integer.toString(reader.gpid()));
        assertThat(viewer.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Remove segment " + s.id()))).hasCount(0);

        // An admin's Remove asks first; cancelled, nothing happens.
        Locator remove = button(page, "Remove segment " + s.id());
        page.onceDialog(d -> d.dismiss());
        remove.click();
        assertEquals(ShmState.ACTIVE, api.client().shmSegment(s.id()).state(), "a cancelled Remove removes nothing");
        String[] asked = new String[1];
        page.onceDialog(d -> {
            asked[0] = d.message();
            d.accept();
        });
        remove.click();
        assertThat(page.getByTestId("shm-message")).containsText("Segment " + s.id() + " removed");
        assertTrue(asked[0] != null && asked[0].contains("Remove shared memory segment " + s.id()), "confirm: " + asked[0]);
        // Still attached by both, so it lives on as REMOVED until they detach.
        assertThat(segment.getByTestId("shm-state")).hasText("REMOVED");
        assertThat(remove).hasCount(0);
        assertEquals(ShmState.REMOVED, api.client().shmSegment(s.id()).state());
        screenshot(page, "19-shared-memory-removed.png");

        // Once both are killed the segment is destroyed.
        api.signal(reader.gpid(), "KILL");
        api.signal(writer.gpid(), "KILL");
        Api.await(() -> api.client().shmSegments().stream().anyMatch(x -> x.id() == s.id()), present -> !present,
                Duration.ofSeconds(20), "segment " + s.id() + " destroyed after its last detach");
    }

    @Test
    @Order(12)
    void theStorageViewShowsEachNodeAndTheChunksLiveAndAKilledAgentsChunksAsUnderReplicated() {
        Page page = signedIn(cluster.adminToken(), 1280, 1200);
        navigateTo(page, "Storage");
        page.evaluate("() => { window.sameDocument = true; }"); // gone if the page reloaded
        for (String node : List.of("node-1", "node-2")) {
            Locator card = page.locator("li[data-fs-node='" + node + "']");
            assertThat(card.locator(".badge")).hasText("READY");
            assertThat(card.getByTestId("fs-node-blocks")).hasText(Pattern.compile("^\\d+$"));
        }
        // Nothing else in this class writes to the tree: once the leader scanned, the page and the API agree.
        FsUsage before = Api.await(() -> api.client().fsUsage(), u -> u.repair().lastScanAt() != null,
                Duration.ofSeconds(30), "a first repair scan");
        assertThat(page.getByTestId("fs-chunks")).hasText(Long.toString(before.repair().chunks()));
        assertThat(page.getByTestId("fs-under-replicated")).hasText(Pattern.compile("^0 "));

        // Two and a half chunks, at the default goal of 2: a chunk on each of the two agents.
        long chunk = before.repair().chunkSizeBytes();
        byte[] bytes = new byte[(int) (chunk * 5 / 2)];
        ThreadLocalRandom.current().nextBytes(bytes);
        FsPath path = FsPath.parse("/web-ui-" + Long.toHexString(System.nanoTime()) + ".bin");
        AgentProcess victim = cluster.agent("node-2");
        boolean killed = false;
        FsEntryInfo written = null;
        try {
            written = api.client().fsUpload(path, new ByteArrayInputStream(bytes), bytes.length,
                    FsPutOptions.defaults(), TransferProgress.NONE);
            assertEquals(2, written.replicas(), "the default goal");
            long chunks = before.repair().chunks() + 3;
            // The next scan counts them and the next poll shows it, without a reload.
            LocatorAssertions.HasTextOptions scan = new LocatorAssertions.HasTextOptions().setTimeout(60_000);
            assertThat(page.getByTestId("fs-chunks")).hasText(Long.toString(chunks), scan);
            assertThat(page.getByTestId("fs-under-replicated")).hasText(Pattern.compile("^0 "));
            assertThat(page.getByTestId("fs-health")).hasText("Every chunk at its goal");
            assertEquals(Boolean.TRUE, page.evaluate("window.sameDocument === true"), "no reload");
            screenshot(page, "20-storage.png");

            // node-2's agent dies: once the node is DOWN, each chunk has one healthy replica of its goal
            // of two, and with no third node there is nowhere to copy them.
            victim.kill();
            killed = true;
            assertThat(page.locator("li[data-fs-node='node-2'] .badge")).hasText("DOWN", scan);
            assertThat(page.getByTestId("fs-under-replicated")).hasText(Pattern.compile("^([3-9]|\\d\\d+) "), scan);
            assertThat(page.getByTestId("fs-unavailable")).hasText(Pattern.compile("^0 "));
            assertThat(page.getByTestId("fs-health")).hasText("Repairing");
            screenshot(page, "21-storage-under-replicated.png");

            // Back, with its blocks: every chunk at its goal again.
            victim.restart();
            killed = false;
            cluster.awaitNodeState("node-2", "READY", Duration.ofSeconds(60));
            assertThat(page.locator("li[data-fs-node='node-2'] .badge")).hasText("READY", scan);
            assertThat(page.getByTestId("fs-under-replicated")).hasText(Pattern.compile("^0 "), scan);
            assertThat(page.getByTestId("fs-health")).hasText("Every chunk at its goal");
            assertEquals(Boolean.TRUE, page.evaluate("window.sameDocument === true"), "no reload");
            screenshot(page, "22-storage-repaired.png");
        } finally {
            if (killed) {
                victim.restart();
                cluster.awaitNodeState("node-2", "READY", Duration.ofSeconds(60));
            }
            if (written != null) {
                api.client().fsDelete(path, false);
            }
        }
    }
}
