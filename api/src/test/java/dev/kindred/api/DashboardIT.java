package dev.kindred.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.api.json.Json;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium (Debian's chromium and chromium-driver; Selenium with the system
 * driver, SE_OFFLINE so nothing is downloaded): opened on an empty demo stack, it shows alerts arriving live while
 * Synthea patients are replayed, opens a patient from the keyboard, sends feedback, and leaves a screenshot in
 * target/screenshots/dashboard.png.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DashboardIT {
    static final String CHROMIUM = "/usr/bin/chromium";
    static final String CHROMEDRIVER = "/usr/bin/chromedriver";

    @TempDir
    static Path tmp;

    static TestStack stack;
    static ApiServer api;
    static ChromeDriver browser;

    @BeforeAll
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    static void start() throws Exception {
        assertThat(new File(CHROMIUM)).as("Debian's chromium (apt-get install chromium chromium-driver)").exists();
        assertThat(new File(CHROMEDRIVER)).as("Debian's chromium-driver").exists();
        TestStack.synthea();
        stack = TestStack.start(tmp);
        api = stack.startInstance("demo", Map.of(), ApiServer.Options.DEMO).api();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1366,768", "--user-data-dir=" + tmp.resolve("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().window().setSize(new Dimension(1366, 768));
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (stack != null) {
            stack.close();
        }
    }

    private static int countedOnPage() {
        int n = 0;
        for (String severity : new String[] {"critical", "warning", "info"}) {
            n += Integer.parseInt(browser.findElement(By.id("count-" + severity)).getText().trim());
        }
        return n;
    }

    private static int held() {
        try {
            Http.Response r = Http.get(api.url() + "/api/alerts?limit=1", Map.of());
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            return Json.read(r.body()).path("held").asInt();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void alertsArriveLiveAPatientOpensAndFeedbackIsSent() throws Exception {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofMinutes(4), Duration.ofMillis(250));
        browser.get(api.url() + "/dashboard/");
        wait.until(ExpectedConditions.textToBe(By.id("connection"), "live"));
        assertThat(browser.findElements(By.cssSelector("#alert-list li"))).as("nothing replayed yet").isEmpty();

        CompletableFuture<Void> replay = CompletableFuture.runAsync(() -> {
            try {
                stack.replay(TestStack.synthea());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // Alerts arrive over the live stream while the replay runs: the page loaded empty and is never reloaded.
        wait.until(d -> d.findElements(By.cssSelector("#alert-list li")).size() >= 5);
        assertThat(browser.findElements(By.cssSelector("#alert-list li:not(.new)")))
                .as("every listed alert came over the live stream").isEmpty();
        replay.get(5, TimeUnit.MINUTES);
        stack.awaitProcessed(Duration.ofMinutes(5));
        // None lost on the way: the severity counters (the list itself shows only the newest 200) reach the number
        // of alerts the server holds, all of which came after the page loaded.
        int held = held();
        assertThat(held).isGreaterThanOrEqualTo(5);
        wait.until(d -> countedOnPage() == held());

        // Keyboard: focus the newest warning or critical alert and press Enter.
        WebElement first = browser.findElements(By.cssSelector("#alert-list button")).stream()
                .filter(b -> !b.getAttribute("class").contains("sev-info")).findFirst()
                .orElse(browser.findElement(By.cssSelector("#alert-list button")));
        ((JavascriptExecutor) browser).executeScript("arguments[0].focus()", first);
        first.sendKeys(Keys.ENTER);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#features tbody tr")));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("alert-summary")));
        assertThat(browser.findElement(By.id("patient-title")).getText()).startsWith("Patient ");
        assertThat(browser.findElements(By.cssSelector("#trend circle, #trend text"))).isNotEmpty();
        wait.until(d -> !d.findElements(By.cssSelector("#similar tbody tr")).isEmpty());
        assertThat(browser.findElement(By.id("similar")).getText()).contains("#1");

        browser.findElement(By.id("accept")).click();
        wait.until(ExpectedConditions.textMatches(By.id("feedback-status"), java.util.regex.Pattern.compile("Recorded.*1 accepted")));

        Path shots = Path.of("target", "screenshots");
        Files.createDirectories(shots);
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), shots.resolve("dashboard.png"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(shots.resolve("dashboard.png"))).isGreaterThan(10_000);
    }
}
