package io.swarmcanary.cli;

import io.swarmcanary.report.Events;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** --events FILE: a command appends what it did to the run's record, for 'swarm-canary report'. */
public final class EventsOption {
    @Option(names = "--events", paramLabel = "FILE",
            description = "Append what this command did to FILE, one JSON object per line (see 'swarm-canary report --help').")
    Path file;

    /** Does nothing without --events. */
    public void record(String type, String track, Map<String, ?> fields) {
        if (file != null) {
            Events.append(file, type, track, fields);
        }
    }
}
