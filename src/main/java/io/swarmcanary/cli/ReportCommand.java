package io.swarmcanary.cli;

import io.swarmcanary.report.Events;
import io.swarmcanary.report.HtmlReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "report",
        description = {
            "Turn a run's events file into one self-contained HTML page (inline SVG charts, no script, nothing",
            "fetched): weights over time, success rate and p99 per release at each analysis, the verdicts and",
            "rollbacks, and the approvals with their approvers. Archive it in Jenkins with archiveArtifacts.",
            "",
            "The events file has one JSON object per line, each with \"time\" (ISO-8601 UTC), \"type\" and",
            "\"track\". analyze, shift, promote and rollback write theirs with --events FILE; the pipeline appends",
            "approvals itself:",
            "  {\"time\":\"2024-05-01T10:02:00Z\",\"type\":\"approval\",\"track\":\"files-webdev\",\"step\":\"25%%\",",
            "   \"approver\":\"alice\",\"decision\":\"approved\",\"comment\":\"graphs look fine\"}"},
        footer = {"", "Examples:",
            "  swarm-canary analyze --app files --env webdev --events run.jsonl",
            "  echo '{\"time\":\"'$(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ)'\",\"type\":\"approval\",\"track\":\"files-webdev\",\"approver\":\"alice\"}' >> run.jsonl",
            "  swarm-canary report --events run.jsonl --out canary-report.html",
            "", "Exit codes: 0 written, 1 could not write, 2 bad input (the events file is missing or a line is broken;",
            "the message names the line; nothing written)."})
public final class ReportCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;

    @Option(names = "--events", required = true, paramLabel = "FILE", description = "The run's events (JSON lines).") Path events;
    @Option(names = "--out", required = true, paramLabel = "FILE.html", description = "Where to write the page.") Path out;
    @Option(names = "--title", paramLabel = "TEXT", description = "Page title (default: 'Canary report').") String title = "Canary report";

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() throws IOException {
        List<Events.Event> all = Events.read(events);
        String html = HtmlReport.render(title, all);
        Path target = out.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".report", ".html");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (output.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("out", target.toString());
            json.put("events", all.size());
            json.put("tracks", all.stream().map(Events.Event::track).distinct().sorted().toList());
            output.printJson(spec.commandLine().getOut(), json);
        } else {
            spec.commandLine().getOut().println("wrote " + target + " (" + all.size() + " events)");
        }
        return 0;
    }
}
