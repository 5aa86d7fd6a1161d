package io.swarmcanary.swarm;

import io.swarmcanary.ConflictException;

/**
 * A service update carried a stale version index: someone else updated the service since it was read ("update out of
 * sequence"). Nothing was applied; the writer must read again. A conflict like any other for the CLI (exit 3).
 */
public class VersionConflictException extends ConflictException {
    public VersionConflictException(String message) {
        super(message);
    }
}
