package io.swarmcanary.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmcanary.UserInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The record of a run: one JSON object per line, appended as things happen. Every line has {@code time} (ISO-8601
 * UTC), {@code type} and {@code track}; the CLI writes {@code weights}, {@code analysis} and {@code rollback} lines,
 * the pipeline appends {@code approval} lines itself:
 * <pre>{"time":"2024-05-01T10:00:00Z","type":"approval","track":"files-webdev","approver":"alice","decision":"approved","step":"25%"}</pre>
 */
public final class Events {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Events() {}

    /** One event as read back: its time, type, track and the whole line. */
    public record Event(Instant time, String type, String track, JsonNode fields) {}

    public static void append(Path file, String type, String track, Map<String, ?> fields) {
        ObjectNode line = JSON.createObjectNode();
        line.put("time", Instant.now().toString());
        line.put("type", type);
        line.put("track", track);
        line.setAll((ObjectNode) JSON.valueToTree(fields));
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            // one write per line, in append mode: lines from several writers do not interleave
            Files.write(file, (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException("cannot append to the events file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads every line; a line that is not an event is an error naming its line number. Sorted by time. */
    public static List<Event> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UserInputException("events file " + file + " does not exist. Nothing was written.");
        } catch (IOException e) {
            throw new UserInputException("cannot read events file " + file + ": " + e.getMessage() + ". Nothing was written.");
        }
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + " line " + (i + 1);
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new UserInputException(where + " is not JSON: " + e.getOriginalMessage() + ". Nothing was written.");
            }
            if (!node.isObject() || !node.path("time").isTextual() || !node.path("type").isTextual()) {
                throw new UserInputException(where + " needs \"time\" (ISO-8601, e.g. 2024-05-01T10:00:00Z) and \"type\"."
                        + " Nothing was written.");
            }
            Instant time;
            try {
                time = Instant.parse(node.path("time").asText());
            } catch (RuntimeException e) {
                throw new UserInputException(where + ": time '" + node.path("time").asText() + "' is not ISO-8601 UTC"
                        + " (e.g. 2024-05-01T10:00:00Z; in a shell: date -u +%Y-%m-%dT%H:%M:%SZ). Nothing was written.");
            }
            events.add(new Event(time, node.path("type").asText(), node.path("track").asText(""), node));
        }
        events.sort(Comparator.comparing(Event::time));
        return events;
    }
}
