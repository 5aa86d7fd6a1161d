package io.swarmcanary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * The CLI's JSON answers, checked in under src/test/resources/cli-json/: the Groovy step tests' fake CLI answers with
 * them, so a change in what the CLI prints breaks this check (Java side) before it breaks a user's pipeline (Groovy side).
 * A fixture holds the fields the steps may read; the real output may have more (fields are added, never removed).
 * Regenerate after a deliberate change: mvn -o -B test -Dtest='NextCommandTest,CliAnswersTest' -DswarmCanary.updateFixtures=true (then review
 * the diff: a removed field the steps read breaks their tests).
 */
public final class CliJsonFixtures {
    public static final Path DIR = Path.of("src", "test", "resources", "cli-json");
    static final ObjectMapper JSON = new ObjectMapper();
    static final boolean UPDATE = Boolean.getBoolean("swarmCanary.updateFixtures");

    private CliJsonFixtures() {}

    public static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Values that differ from run to run though the answer is the same: how long it took, when it ran, how old a
     * release is, the temporary directory a file was written to, the token file's path and expiry, and the revision (a hash of the Envoy config, which
     * holds the edge's port: the analyze answers come from an edge on a free port). The steps read none of them.
     */
    static final Map<String, JsonNode> VOLATILE = Map.ofEntries(
            Map.entry("seconds", JSON.getNodeFactory().numberNode(0)),
            Map.entry("planSeconds", JSON.getNodeFactory().numberNode(0.0)),
            Map.entry("applySeconds", JSON.getNodeFactory().numberNode(0.0)),
            Map.entry("ageSeconds", JSON.getNodeFactory().numberNode(0)),
            Map.entry("startedAt", JSON.getNodeFactory().textNode("2026-01-01T00:00:00Z")),
            Map.entry("endedAt", JSON.getNodeFactory().textNode("2026-01-01T00:01:00Z")),
            Map.entry("out", JSON.getNodeFactory().textNode("swarm-canary-report.html")),
            Map.entry("revision", JSON.getNodeFactory().textNode("0123456789ab")),
            Map.entry("expires", JSON.getNodeFactory().textNode("2026-01-01T00:15:00Z")),
            Map.entry("file", JSON.getNodeFactory().textNode("/tmp/swarm-canary/canary-token")),
            Map.entry("headerFile", JSON.getNodeFactory().textNode("/tmp/swarm-canary/canary-token-header")));

    /** The answer with every {@link #VOLATILE} field set to its fixed value (the one place this is done). */
    static JsonNode normalised(JsonNode node) {
        JsonNode copy = node.deepCopy();
        normalise(copy);
        return copy;
    }

    private static void normalise(JsonNode node) {
        if (node instanceof ObjectNode object) {
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                JsonNode fixed = VOLATILE.get(field.getKey());
                if (fixed != null && !field.getValue().isNull() && field.getValue().isValueNode()) {
                    field.setValue(fixed);
                } else {
                    normalise(field.getValue());
                }
            }
        } else if (node.isArray()) {
            node.forEach(CliJsonFixtures::normalise);
        }
    }

    /** Compares the CLI's real output with the checked-in fixture (or writes it, when regenerating). */
    public static void check(String name, String actualJson) {
        Path file = DIR.resolve(name + ".json");
        try {
            boolean same = Files.exists(file) && normalised(parse(actualJson)).equals(JSON.readTree(Files.readString(file,
                    StandardCharsets.UTF_8)));
            if (UPDATE && same) {
                return; // the same answer (fields in another order: Map.of's order changes per run) is not rewritten
            }
            if (UPDATE || !Files.exists(file)) {
                Files.createDirectories(DIR);
                Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(normalised(parse(actualJson)))
                        + "\n", StandardCharsets.UTF_8);
                assertThat(UPDATE).as(file + " was missing and has been written: review it and commit it").isTrue();
                return;
            }
            JsonNode expected = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
            JsonNode actual = normalised(JSON.readTree(actualJson));
            String difference = difference("", expected, actual);
            assertThat(difference).as("the CLI's JSON differs from " + file + " (regenerate with"
                    + " -DswarmCanary.updateFixtures=true if the change is meant, and check the steps in vars/ still read it)")
                    .isNull();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where actual lacks or changes something expected has; fields only actual has are fine. Null when none. */
    static String difference(String path, JsonNode expected, JsonNode actual) {
        if (expected.isObject()) {
            if (!actual.isObject()) {
                return path + ": expected an object, was " + actual;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                JsonNode a = actual.get(field.getKey());
                if (a == null) {
                    return path + "." + field.getKey() + ": missing";
                }
                String d = difference(path + "." + field.getKey(), field.getValue(), a);
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (expected.isArray()) {
            if (!actual.isArray() || actual.size() != expected.size()) {
                return path + ": expected " + expected + ", was " + actual;
            }
            for (int i = 0; i < expected.size(); i++) {
                String d = difference(path + "[" + i + "]", expected.get(i), actual.get(i));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        return expected.equals(actual) ? null : path + ": expected " + expected + ", was " + actual;
    }
}
