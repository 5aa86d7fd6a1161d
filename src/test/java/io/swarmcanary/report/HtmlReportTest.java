package io.swarmcanary.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report of a recorded run: a canary at 5% (pass, approved), at 25% (fail) and rolled back. */
class HtmlReportTest {
    @TempDir
    Path dir;

    private List<Events.Event> recorded() throws Exception {
        return Events.read(Path.of(HtmlReportTest.class.getResource("/report/run.jsonl").toURI()));
    }

    private static String polyline(String html, String chart, String series) {
        int start = html.indexOf("data-chart=\"" + chart + "\"");
        assertThat(start).as("chart " + chart).isPositive();
        String svg = html.substring(start, html.indexOf("</svg>", start));
        Matcher m = Pattern.compile("data-series=\"" + Pattern.quote(series) + "\"[^>]*points=\"([^\"]*)\"").matcher(svg);
        assertThat(m.find()).as("series " + series + " in " + chart).isTrue();
        return m.group(1);
    }

    private static double[] ys(String points) {
        String[] pairs = points.split(" ");
        double[] ys = new double[pairs.length];
        for (int i = 0; i < pairs.length; i++) {
            ys[i] = Double.parseDouble(pairs[i].split(",")[1]);
        }
        return ys;
    }

    @Test
    void showsTheAbMatchesAndMirroringInForce() throws Exception {
        Path run = dir.resolve("ab.jsonl");
        Files.writeString(run, """
                {"time":"2024-05-01T10:00:00Z","type":"route","track":"files-webdev","command":"route","match":["header:x-beta=1"],"mirrorPercent":0,"weights":{"1.0.0":100,"2.0.0":0}}
                {"time":"2024-05-01T10:01:00Z","type":"mirror","track":"files-webdev","command":"mirror","match":["header:x-beta=1"],"mirrorPercent":10,"weights":{"1.0.0":100,"2.0.0":0}}
                """);
        String html = HtmlReport.render("files 2.0.0", Events.read(run));
        assertThat(html).contains("A/B: header:x-beta=1; no mirroring").contains("A/B: header:x-beta=1; mirroring 10%");
    }

    @Test
    void showsWhenAShiftTurnedStickySessionsOnAndOff() throws Exception {
        Path run = dir.resolve("sticky.jsonl");
        Files.writeString(run, """
                {"time":"2024-05-01T10:00:00Z","type":"weights","track":"files-webdev","command":"shift","weights":{"1.0.0":80,"2.0.0":20},"sticky":{"cookie":"shop-v","ttlSeconds":1800}}
                {"time":"2024-05-01T10:01:00Z","type":"weights","track":"files-webdev","command":"shift","weights":{"1.0.0":50,"2.0.0":50}}
                {"time":"2024-05-01T10:02:00Z","type":"weights","track":"files-webdev","command":"shift","weights":{"1.0.0":50,"2.0.0":50},"sticky":{}}
                """);
        String html = HtmlReport.render("files 2.0.0", Events.read(run));
        assertThat(html).contains("sticky sessions: cookie shop-v, 1800s").contains("sticky sessions off");
        assertThat(html.split("sticky sessions", -1)).hasSize(3); // the shift that kept them adds no row
    }

    @Test
    void chartsWeightsSuccessAndLatencyPerRelease() throws Exception {
        String html = HtmlReport.render("files 2.0.0", recorded());
        assertThat(html).startsWith("<!DOCTYPE html>").doesNotContain("<script").doesNotContain("src=").doesNotContain("href=");
        // weights: the canary's line starts low (5%), steps up (25%), and drops to 0 at the rollback
        double[] canary = ys(polyline(html, "weights", "2.0.0"));
        double bottom = HtmlReport.TOP + (HtmlReport.HEIGHT - HtmlReport.TOP - HtmlReport.BOTTOM);
        assertThat(canary[0]).isLessThan(bottom).isGreaterThan(bottom - 20);
        assertThat(canary[canary.length - 1]).isEqualTo(bottom);
        assertThat(ys(polyline(html, "weights", "1.0.0"))[ys(polyline(html, "weights", "1.0.0")).length - 1])
                .isEqualTo(HtmlReport.TOP);
        // success rate: two analyses each; the canary's second point is far lower than its first
        double[] success = ys(polyline(html, "success rate", "2.0.0"));
        assertThat(success).hasSize(2);
        assertThat(success[1]).isGreaterThan(success[0] + 50);
        double[] p99 = ys(polyline(html, "p99", "2.0.0"));
        assertThat(p99[1]).isLessThan(p99[0]);
    }

    @Test
    void listsVerdictsRollbacksAndApproversEscaped() throws Exception {
        String html = HtmlReport.render("report", recorded());
        assertThat(html).contains("<td class=\"fail\">fail</td>").contains("error rate 12% &gt; allowed 1%")
                .contains("<td class=\"pass\">pass</td>").contains("rollback");
        assertThat(html).contains("alice &lt;script&gt;alert(1)&lt;/script&gt;").contains("graphs &amp; logs fine")
                .contains("<td>5%</td><td>approved</td>");
    }

    @Test
    void anEmptyRunSaysSo() {
        assertThat(HtmlReport.render("r", List.of())).contains("No events recorded.");
    }

    @Test
    void appendedLinesReadBackAndABrokenLineIsNamed() throws Exception {
        Path file = dir.resolve("sub/run.jsonl");
        Events.append(file, "weights", "t", java.util.Map.of("weights", java.util.Map.of("1", 100)));
        Files.writeString(file, "{\"time\":\"2024-05-01T10:03:00Z\",\"type\":\"approval\",\"track\":\"t\",\"approver\":\"bob\"}\n",
                java.nio.file.StandardOpenOption.APPEND);
        assertThat(Events.read(file)).extracting(Events.Event::type).containsExactly("approval", "weights");
        Files.writeString(file, "not json\n", java.nio.file.StandardOpenOption.APPEND);
        assertThatThrownBy(() -> Events.read(file)).isInstanceOf(UserInputException.class).hasMessageContaining("line 3");
        Files.writeString(dir.resolve("t.jsonl"), "{\"time\":\"yesterday\",\"type\":\"approval\"}\n");
        assertThatThrownBy(() -> Events.read(dir.resolve("t.jsonl"))).hasMessageContaining("ISO-8601");
    }
}
