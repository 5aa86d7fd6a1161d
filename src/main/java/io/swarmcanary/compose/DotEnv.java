package io.swarmcanary.compose;

import io.swarmcanary.UserInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code KEY=VALUE} lines: the {@code .env} file next to a compose file, and {@code env_file:} files.
 * Blank lines and {@code #} comments are skipped.
 */
final class DotEnv {
    private DotEnv() {}

    /** The file's variables; none when it does not exist (a .env file is optional). */
    static Map<String, String> read(Path file) {
        if (!Files.isRegularFile(file)) {
            return Map.of();
        }
        return parse(file, true, (key, line) -> {
            throw new UserInputException(file + ":" + line + ": '" + key + "' has no '='; write " + key + "=value."
                    + " Nothing was changed.");
        });
    }

    /** What to do with a line that is only a name (env_file takes it from the environment). */
    interface BareName {
        void accept(String key, int line);
    }

    /** @param stripQuotes .env files (compose) drop matching quotes; env_file lines are literal, as in the docker CLI */
    static Map<String, String> parse(Path file, boolean stripQuotes, BareName bare) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserInputException("cannot read " + file + ": " + e.getMessage() + ". Nothing was changed.");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring(7).strip();
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                bare.accept(line, i + 1);
                continue;
            }
            String key = line.substring(0, eq).strip();
            if (!key.matches("[A-Za-z_][A-Za-z0-9_.]*")) {
                // the key only: the line may hold a value that must not be echoed
                throw new UserInputException(file + ":" + (i + 1) + ": invalid variable name '"
                        + io.swarmcanary.release.Names.printable(key) + "'. Nothing was changed.");
            }
            String value = line.substring(eq + 1);
            if (stripQuotes && value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            values.put(key, value);
        }
        return values;
    }
}
