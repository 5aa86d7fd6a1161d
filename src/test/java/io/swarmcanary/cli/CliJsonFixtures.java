package io.swarmcanary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * Regenerate after a deliberate change: mvn -o -B test -Dtest=NextCommandTest -DswarmCanary.updateFixtures=true (then review
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

    /** Compares the CLI's real output with the checked-in fixture (or writes it, when regenerating). */
    public static void check(String name, String actualJson) {
        Path file = DIR.resolve(name + ".json");
        try {
            if (UPDATE || !Files.exists(file)) {
                Files.createDirectories(DIR);
                Files.writeString(file, actualJson.strip() + "\n", StandardCharsets.UTF_8);
                assertThat(UPDATE).as(file + " was missing and has been written: review it and commit it").isTrue();
                return;
            }
            JsonNode expected = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
            JsonNode actual = JSON.readTree(actualJson);
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
