package io.swarmcanary.swarm;

/**
 * The Engine API said no. The gateway raises the typed kinds callers act on ({@link NotFoundException},
 * {@link InUseException}, {@link AlreadyExistsException}, {@link VersionConflictException}); anything else is this, a failure.
 */
public class DockerApiException extends RuntimeException {
    private final int status;

    public DockerApiException(int status, String message) {
        this(status, message, null);
    }

    public DockerApiException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status, for the gateway's own classification and for messages; callers decide by type. */
    public int status() {
        return status;
    }
}
