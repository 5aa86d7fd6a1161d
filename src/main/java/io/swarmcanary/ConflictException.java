package io.swarmcanary;

/** Someone else changed the cluster between our read and our write. The CLI maps it to exit code 3. */
public class ConflictException extends RuntimeException {
    public ConflictException(String message) {
        super(message);
    }
}
