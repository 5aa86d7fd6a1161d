package io.swarmcanary.release;

import io.swarmcanary.UserInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a secret's value comes from: {@code NAME=env:VAR} or {@code NAME=file:PATH}. The value itself is
 * never on the command line; only the name of the variable or file is.
 */
public record SecretSource(String name, Kind kind, String reference) {
    public enum Kind { ENV, FILE }

    public static SecretSource parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new UserInputException("invalid --secret '" + Names.printable(spec)
                    + "': expected NAME=env:VAR or NAME=file:PATH");
        }
        String name = spec.substring(0, eq);
        String source = spec.substring(eq + 1);
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw new UserInputException("invalid secret name '" + Names.printable(name)
                    + "': use letters, digits, '.', '_' and '-' (it becomes the file /run/secrets/" + "<name>)");
        }
        if (source.startsWith("env:") && source.length() > 4) {
            return new SecretSource(name, Kind.ENV, source.substring(4));
        }
        if (source.startsWith("file:") && source.length() > 5) {
            return new SecretSource(name, Kind.FILE, source.substring(5));
        }
        throw new UserInputException("invalid --secret '" + name + "=...': the source must be env:VAR or file:PATH"
                + " (secret values are never accepted on the command line)");
    }

    /** Reads the value; a missing source is bad input, reported without any value. */
    public byte[] read(Map<String, String> environment) {
        return switch (kind) {
            case ENV -> {
                String value = environment.get(reference);
                if (value == null) {
                    throw new UserInputException("secret '" + name + "': environment variable " + reference
                            + " is not set; export it (Jenkins: withCredentials) and re-run");
                }
                yield value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            }
            case FILE -> {
                Path path = Path.of(reference);
                if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                    throw new UserInputException("secret '" + name + "': file " + reference
                            + " does not exist or is not readable");
                }
                try {
                    yield Files.readAllBytes(path);
                } catch (IOException e) {
                    throw new UserInputException("secret '" + name + "': cannot read " + reference + ": " + e.getMessage());
                }
            }
        };
    }

    public String target() {
        return name;
    }

    @Override
    public String toString() {
        return name + "=" + kind.name().toLowerCase() + ":" + reference;
    }
}
