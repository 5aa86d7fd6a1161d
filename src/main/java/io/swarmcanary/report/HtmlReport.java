package io.swarmcanary.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.DoubleFunction;

/**
 * A run's events as one self-contained HTML page (inline SVG, no script, no external file): per track, the weights
 * over time, success rate and p99 per release at every analysis, the verdicts, the approvals and who gave them.
 */
public final class HtmlReport {
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"};
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter FULL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
    static final int WIDTH = 720;
    static final int HEIGHT = 220;
    static final int LEFT = 60;
    static final int RIGHT = 120;
    static final int TOP = 20;
    static final int BOTTOM = 30;

    private HtmlReport() {}

    /** A point of a chart's series: a time and a value. */
    record Point(Instant time, double value) {}

    public static String render(String title, List<Events.Event> events) {
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
                        + "margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;font-size:90%}"
                        + "th{background:#f3f3f3}.pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}.inconclusive{color:#9a6700}"
                        + "svg{display:block;margin:.3em 0 1em}h2{margin-top:2em;border-bottom:1px solid #ddd}</style></head>\n<body>\n")
                .append("<h1>").append(esc(title)).append("</h1>\n");
        if (events.isEmpty()) {
            html.append("<p>No events recorded.</p>\n</body></html>\n");
            return html.toString();
        }
        html.append("<p>").append(events.size()).append(" events from ").append(FULL.format(events.get(0).time()))
                .append(" to ").append(FULL.format(events.get(events.size() - 1).time())).append(".</p>\n");
        Set<String> tracks = new TreeSet<>();
        events.forEach(e -> tracks.add(e.track()));
        for (String track : tracks) {
            List<Events.Event> mine = events.stream().filter(e -> e.track().equals(track)).toList();
            track(html, track.isEmpty() ? "(no track)" : track, mine);
        }
        html.append("</body></html>\n");
        return html.toString();
    }

    private static void track(StringBuilder html, String track, List<Events.Event> events) {
        html.append("<h2>").append(esc(track)).append("</h2>\n");
        Instant from = events.get(0).time();
        Instant to = events.get(events.size() - 1).time();
        Map<String, List<Point>> weights = new LinkedHashMap<>();
        Map<String, List<Point>> success = new LinkedHashMap<>();
        Map<String, List<Point>> p99 = new LinkedHashMap<>();
        Set<String> versions = new LinkedHashSet<>();
        for (Events.Event e : events) {
            JsonNode w = e.fields().path("weights");
            if (w.isObject()) {
                // a version missing from a later weights line has left the route table: it is at 0 from then on
                Set<String> seen = new TreeSet<>();
                w.fields().forEachRemaining(f -> {
                    versions.add(f.getKey());
                    seen.add(f.getKey());
                    weights.computeIfAbsent(f.getKey(), k -> new ArrayList<>()).add(new Point(e.time(), f.getValue().asDouble()));
                });
                weights.forEach((v, points) -> {
                    if (!seen.contains(v)) {
                        points.add(new Point(e.time(), 0));
                    }
                });
            }
            if (e.type().equals("analysis")) {
                e.fields().path("releases").fields().forEachRemaining(f -> {
                    versions.add(f.getKey());
                    JsonNode r = f.getValue();
                    if (r.path("successRate").isNumber()) {
                        success.computeIfAbsent(f.getKey(), k -> new ArrayList<>())
                                .add(new Point(e.time(), r.path("successRate").asDouble() * 100));
                    }
                    if (r.path("p99Ms").isNumber()) {
                        p99.computeIfAbsent(f.getKey(), k -> new ArrayList<>()).add(new Point(e.time(), r.path("p99Ms").asDouble()));
                    }
                });
            }
        }
        Map<String, String> colours = new LinkedHashMap<>();
        versions.forEach(v -> colours.put(v, COLOURS[colours.size() % COLOURS.length]));
        html.append("<h3>Weights over time (%)</h3>\n")
                .append(chart("weights", weights, colours, from, to, 0, 100, true, v -> String.format(Locale.ROOT, "%.0f%%", v)));
        double lowest = success.values().stream().flatMap(List::stream).mapToDouble(Point::value).min().orElse(100);
        double floor = Math.max(0, Math.min(90, Math.floor(lowest / 10) * 10));
        html.append("<h3>Success rate per release at each analysis (%)</h3>\n")
                .append(chart("success rate", success, colours, from, to, floor, 100, false,
                        v -> String.format(Locale.ROOT, "%.1f%%", v)));
        double highest = p99.values().stream().flatMap(List::stream).mapToDouble(Point::value).max().orElse(1);
        html.append("<h3>p99 latency per release at each analysis (ms)</h3>\n")
                .append(chart("p99", p99, colours, from, to, 0, niceCeiling(highest), false,
                        v -> String.format(Locale.ROOT, "%.0f ms", v)));
        verdicts(html, events);
        approvals(html, events);
    }

    private static void verdicts(StringBuilder html, List<Events.Event> events) {
        html.append("<h3>Analyses and rollbacks</h3>\n<table><tr><th>time</th><th>event</th><th>verdict</th><th>canary</th>"
                + "<th>requests</th><th>success rate</th><th>p99</th><th>reason</th></tr>\n");
        for (Events.Event e : events) {
            JsonNode f = e.fields();
            if (e.type().equals("analysis")) {
                String canary = f.path("canary").asText("");
                JsonNode c = f.path("releases").path(canary);
                String verdict = f.path("verdict").asText("");
                html.append("<tr><td>").append(CLOCK.format(e.time())).append("</td><td>analysis (")
                        .append(esc(f.path("windowSeconds").asText("?"))).append("s, ").append(esc(f.path("source").asText("")))
                        .append(")</td><td class=\"").append(esc(verdict)).append("\">").append(esc(verdict))
                        .append("</td><td>").append(esc(canary)).append(" at ").append(esc(c.path("weight").asText("?")))
                        .append("%</td><td>").append(esc(c.path("requests").asText("")))
                        .append("</td><td>").append(c.path("successRate").isNumber()
                                ? String.format(Locale.ROOT, "%.2f%%", c.path("successRate").asDouble() * 100) : "-")
                        .append("</td><td>").append(c.path("p99Ms").isNumber() ? String.format(Locale.ROOT, "%.0f ms",
                                c.path("p99Ms").asDouble()) : "-")
                        .append("</td><td>").append(esc(f.path("reason").asText(""))).append("</td></tr>\n");
            } else if (e.type().equals("rollback")) {
                html.append("<tr><td>").append(CLOCK.format(e.time())).append("</td><td>rollback</td><td></td><td></td><td></td>"
                        + "<td></td><td></td><td>").append(esc(f.path("reason").asText(""))).append("</td></tr>\n");
            } else if (e.type().equals("route") || e.type().equals("mirror")) {
                // what reached the canary besides its weight from then on
                List<String> match = new ArrayList<>();
                f.path("match").forEach(m -> match.add(m.asText()));
                String what = (match.isEmpty() ? "no A/B match" : "A/B: " + String.join(" AND ", match)) + "; "
                        + (f.path("mirrorPercent").asInt() == 0 ? "no mirroring" : "mirroring " + f.path("mirrorPercent").asInt() + "%");
                html.append("<tr><td>").append(CLOCK.format(e.time())).append("</td><td>").append(esc(e.type()))
                        .append("</td><td></td><td></td><td></td><td></td><td></td><td>").append(esc(what)).append("</td></tr>\n");
            } else if (e.type().equals("weights") && f.has("sticky")) {
                // a shift that turned sticky sessions on or off (one that keeps them records no sticky field)
                JsonNode sticky = f.path("sticky");
                String what = sticky.has("cookie") ? "sticky sessions: cookie " + sticky.path("cookie").asText() + ", "
                        + sticky.path("ttlSeconds").asLong() + "s" : "sticky sessions off";
                html.append("<tr><td>").append(CLOCK.format(e.time())).append("</td><td>shift</td><td></td><td></td><td></td>"
                        + "<td></td><td></td><td>").append(esc(what)).append("</td></tr>\n");
            }
        }
        html.append("</table>\n");
    }

    private static void approvals(StringBuilder html, List<Events.Event> events) {
        html.append("<h3>Approvals</h3>\n<table><tr><th>time</th><th>step</th><th>decision</th><th>approver</th><th>comment</th></tr>\n");
        int n = 0;
        for (Events.Event e : events) {
            if (e.type().equals("approval")) {
                JsonNode f = e.fields();
                html.append("<tr><td>").append(CLOCK.format(e.time())).append("</td><td>").append(esc(f.path("step").asText("")))
                        .append("</td><td>").append(esc(f.path("decision").asText("approved"))).append("</td><td>")
                        .append(esc(f.path("approver").asText(""))).append("</td><td>").append(esc(f.path("comment").asText("")))
                        .append("</td></tr>\n");
                n++;
            }
        }
        if (n == 0) {
            html.append("<tr><td colspan=\"5\">no approvals recorded</td></tr>\n");
        }
        html.append("</table>\n");
    }

    /** A line chart; with {@code step}, a value holds until the next one (weights change at an instant). */
    static String chart(String name, Map<String, List<Point>> series, Map<String, String> colours, Instant from, Instant to,
                        double yMin, double yMax, boolean step, DoubleFunction<String> label) {
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" role=\"img\" aria-label=\"").append(esc(name)).append("\" data-chart=\"").append(esc(name)).append("\">\n");
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
                LEFT, TOP, plotW, plotH));
        for (int i = 0; i <= 4; i++) {
            double v = yMin + (yMax - yMin) * i / 4;
            double y = TOP + plotH - plotH * i / 4.0;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>%n",
                    LEFT, LEFT + plotW, y, y, LEFT - 4, y + 4, esc(label.apply(v))));
        }
        long span = Math.max(1, Duration.between(from, to).toMillis());
        for (int i = 0; i <= 4; i++) {
            Instant t = from.plusMillis(span * i / 4);
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
                    LEFT + plotW * i / 4.0, HEIGHT - 10, CLOCK.format(t)));
        }
        if (series.isEmpty()) {
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#777\">no data</text>%n",
                    LEFT + 10, TOP + plotH / 2));
        }
        int legend = 0;
        for (Map.Entry<String, List<Point>> s : series.entrySet()) {
            String colour = colours.getOrDefault(s.getKey(), "#000");
            StringBuilder points = new StringBuilder();
            Double lastY = null;
            for (Point p : s.getValue()) {
                double x = LEFT + plotW * (double) Duration.between(from, p.time()).toMillis() / span;
                double y = TOP + plotH - plotH * (Math.max(yMin, Math.min(yMax, p.value())) - yMin) / Math.max(1e-9, yMax - yMin);
                if (step && lastY != null) {
                    points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, lastY));
                }
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                lastY = y;
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s %s: %s</title></circle>%n",
                        x, y, colour, esc(s.getKey()), CLOCK.format(p.time()), esc(label.apply(p.value()))));
            }
            if (step && lastY != null) {
                points.append(String.format(Locale.ROOT, "%d,%.1f", LEFT + plotW, lastY)); // holds until the end of the run
            }
            svg.append("<polyline data-series=\"").append(esc(s.getKey())).append("\" fill=\"none\" stroke=\"").append(colour)
                    .append("\" stroke-width=\"2\" points=\"").append(points.toString().strip()).append("\"/>\n");
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>%n",
                    LEFT + plotW + 10, TOP + legend * 16, colour, LEFT + plotW + 24, TOP + legend * 16 + 9, esc(s.getKey())));
            legend++;
        }
        return svg.append("</svg>\n").toString();
    }

    private static double niceCeiling(double v) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(Math.max(1, v))));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * magnitude >= v * 1.1) {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }

    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
