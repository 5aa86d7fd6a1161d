package io.swarmcanary.release;

import io.swarmcanary.UserInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A Swarm config from a file, content-addressed like secrets and mounted at {@code target}. */
public record ConfigSource(String name, Path file, ReleaseOptions.MountTarget target) {
    public byte[] read() {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new UserInputException("config '" + name + "': file " + file + " does not exist or is not readable."
                    + " Nothing was created.");
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UserInputException("config '" + name + "': cannot read " + file + ": " + e.getMessage());
        }
    }
}
