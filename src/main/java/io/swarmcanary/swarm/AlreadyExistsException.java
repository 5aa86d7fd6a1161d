package io.swarmcanary.swarm;

/** A create whose name is taken (the engine answered 409): usually another run created the same object first. */
public class AlreadyExistsException extends DockerApiException {
    public AlreadyExistsException(String message) {
        this(message, null);
    }

    AlreadyExistsException(String message, Throwable cause) {
        super(409, message, cause);
    }
}
